"""The metric contract: what every metric plugin provides and what the harness relies on.

A metric is built cheaply (so that ``iqabench list`` can show it), declares its identity without
loading anything (:meth:`Metric.identity`), loads its weights in :meth:`Metric.load`, and scores
batches of decoded images with :meth:`Metric.score_batch`. Importing this module does not import torch.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Sequence

from .hashing import file_sha256

if TYPE_CHECKING:
    import torch

Kind = Literal["NR", "FR"]
#: present: its weight files are here and pass their hash check (or it needs none); download: it downloads
#: them on first use; unavailable: it cannot run here.
State = Literal["present", "download", "unavailable"]
#: the weights hash of a metric that uses no weight file.
NO_WEIGHTS = "none"


@dataclass(frozen=True)
class Availability:
    """Whether a metric can run here: its :data:`State` and, in ``reason``, the detail (where its files are,
    what it downloads from where, or why it cannot run and what to do).

    ``ok`` is true when it can run, now or after a download. Built with ``ok`` alone, the state is
    ``present`` or ``unavailable``; :meth:`download` makes the third."""

    ok: bool
    reason: str = ""
    state: State | None = None

    def __post_init__(self) -> None:
        state = self.state or ("present" if self.ok else "unavailable")
        if state not in ("present", "download", "unavailable") or (state != "unavailable") != self.ok:
            raise ValueError(f"Availability(ok={self.ok}, state={self.state!r}): state must be present or download "
                             "when ok, unavailable when not")
        object.__setattr__(self, "state", state)

    @classmethod
    def present(cls, detail: str = "") -> "Availability":
        return cls(True, detail, "present")

    @classmethod
    def download(cls, detail: str) -> "Availability":
        return cls(True, detail, "download")

    @classmethod
    def unavailable(cls, reason: str) -> "Availability":
        return cls(False, reason, "unavailable")


@dataclass(frozen=True)
class Identity:
    """What a stored score is keyed by (docs/architecture.md, "The way data flows"): the registered name, the hash
    of the declared configuration, and the hash of the declared weight files' sha256s.

    ``weights_hash`` is None when the weight files are known only once the metric loads (then the
    runner loads it before asking the store what is missing)."""

    name: str
    config: dict
    config_hash: str
    weights: dict[str, str] | None
    weights_hash: str | None


def hash_json(value) -> str:
    """sha256 of the canonical JSON of ``value``, first 16 hex digits."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def weights_hash(files: dict[str, str]) -> str:
    """One hash over {file name: sha256} (:data:`NO_WEIGHTS` for none)."""
    return hash_json(files) if files else NO_WEIGHTS


class Metric:
    """Base class of every metric.

    Subclasses set the class attributes and implement :meth:`score_batch`. Images arrive as
    float32 tensors of shape (C, H, W) with values in [0, 1], C = 3 (RGB) or 1 (grey) as the
    metric's ``channels`` asks; ``refs`` holds the reference images of a full-reference metric.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[Kind] = "NR"
    #: the direction of the scores; datasets declare the direction of their labels the same way.
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
        """Everything that changes the scores, as JSON-serialisable values: the name, the version and
        every parameter. Subclasses with parameters extend it (``{**super().config(), "scale": 2}``);
        where the class lives is not part of it, so moving a class keeps its stored scores."""
        return {"name": self.name, "version": self.version}

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`config`, first 16 hex digits."""
        return hash_json(self.config())

    def weight_files(self) -> dict[str, Path] | None:
        """The weight files :meth:`load` will read, found without loading (through :mod:`iqabench.weights`):
        {} for a weight-free metric, None when they are known only once it loads (or one is still to be
        downloaded)."""
        return {}

    def identity(self) -> Identity:
        """The key of this metric's stored scores, computed without loading the model."""
        files = self.weight_files()
        declared = None if files is None else {name: file_sha256(path) for name, path in files.items()}
        return Identity(self.name, self.config(), self.config_hash(), declared,
                        None if declared is None else weights_hash(declared))

    # -- life cycle -----------------------------------------------------------------------
    def availability(self) -> Availability:
        """Cheap check, without loading anything large and without downloading: can :meth:`load` succeed here,
        with the files that are here (present) or after downloading them (download)?"""
        return Availability.present()

    def load(self, device: "torch.device") -> None:
        """Load weights and move to ``device``. Raise :class:`iqabench.errors.WeightsError` if absent."""

    def score_batch(
        self, images: Sequence["torch.Tensor"], refs: Sequence["torch.Tensor"] | None = None
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
