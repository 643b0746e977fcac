"""The metric contract: what every metric plugin provides and what the harness relies on.

A metric is built cheaply (so that ``iqabench list`` can show it), loads its weights in
:meth:`Metric.load`, and scores batches of decoded images with :meth:`Metric.score_batch`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import ClassVar, Literal, Sequence

import torch

Kind = Literal["NR", "FR"]


@dataclass(frozen=True)
class Availability:
    """Whether a metric can run here, and if not, what is missing."""

    ok: bool
    reason: str = ""


class Metric:
    """Base class of every metric.

    Subclasses set the class attributes and implement :meth:`score_batch`. Images arrive as
    float32 tensors of shape (C, H, W) with values in [0, 1], C = 3 (RGB) or 1 (grey) as the
    metric's ``channels`` asks; ``refs`` holds the reference images of a full-reference metric.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[Kind] = "NR"
    lower_better: ClassVar[bool] = False
    score_range: ClassVar[tuple[float | None, float | None]] = (None, None)
    description: ClassVar[str] = ""
    #: smallest image side, in pixels, the metric accepts; smaller images are per-image failures.
    min_size: ClassVar[int] = 1
    #: images per batch when the user does not pass --batch-size.
    batch_size: ClassVar[int] = 8
    #: 3 for RGB input, 1 for grey.
    channels: ClassVar[int] = 3
    #: bump when the scores a metric computes change, so stored scores are recomputed.
    version: ClassVar[str] = "1"

    def __init__(self) -> None:
        #: weight file name -> sha256 of the files :meth:`load` used; empty for weight-free metrics.
        self.weights: dict[str, str] = {}

    # -- identity -------------------------------------------------------------------------
    def config(self) -> dict:
        """Everything that changes the scores, as JSON-serialisable values."""
        return {"class": f"{type(self).__module__}.{type(self).__qualname__}", "version": self.version}

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`config`, first 16 hex digits."""
        canonical = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def weights_hash(self) -> str:
        """One sha256 over the loaded weight files ("none" for a weight-free metric)."""
        if not self.weights:
            return "none"
        canonical = json.dumps(self.weights, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    # -- life cycle -----------------------------------------------------------------------
    def availability(self) -> Availability:
        """Cheap check, without loading anything large: can :meth:`load` succeed here?"""
        return Availability(True)

    def load(self, device: torch.device) -> None:
        """Load weights and move to ``device``. Raise :class:`iqabench.errors.WeightsError` if absent."""

    def score_batch(
        self, images: Sequence[torch.Tensor], refs: Sequence[torch.Tensor] | None = None
    ) -> Sequence[float]:
        """One float per image, in order. Raise to fail the batch; the runner then retries per image."""
        raise NotImplementedError(f"metric {self.name!r} does not implement score_batch")

    def __repr__(self) -> str:
        return f"<Metric {self.name} {self.kind} {'lower' if self.lower_better else 'higher'}-is-better>"


def check_score(value: float) -> float:
    """Return ``value`` as float, or raise ValueError when it is NaN or infinite (a failure, never a score)."""
    score = float(value)
    if not math.isfinite(score):
        raise ValueError(f"metric returned a non-finite score ({score})")
    return score
