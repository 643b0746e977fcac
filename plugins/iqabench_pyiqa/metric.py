"""The adapter: one :class:`PyiqaMetric` subclass per pyiqa metric, made by :func:`metric_class`."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from iqabench import weights
from iqabench.errors import ImageError, IqabenchError, UsageError, WeightsError
from iqabench.metric import Availability, Metric, check_score

from . import loaded
from .availability import availability_of
from .catalog import (
    BATCH_SIZES,
    MIN_SIZES,
    NAMED,
    NEEDS_TEXTURE,
    ONE_AT_A_TIME,
    PINNED_SHA256,
    WEIGHT_FREE,
    unsupported,
)
from .configs import INSTALL_HINT, parse_score_range, pyiqa_version
from .fetch import PYIQA_SUBDIR, Fetches, routed_fetches

if TYPE_CHECKING:
    import torch


class PyiqaMetric(Metric):
    """A pyiqa metric behind the iqabench contract; weights resolve through :mod:`iqabench.weights`."""

    #: the name pyiqa knows the metric by, and its ``metric_opts`` from pyiqa's table.
    pyiqa_name: ClassVar[str] = ""
    pyiqa_options: ClassVar[dict] = {}
    #: weight files pyiqa fetches for it: () when weight-free, None when only loading tells.
    weight_file_names: ClassVar[tuple[str, ...] | None] = None
    #: why it cannot score single images ("" when it can).
    unsupported: ClassVar[str] = ""
    #: score each image on its own, for metrics whose scores change with the batch they are in.
    one_at_a_time: ClassVar[bool] = False
    #: weight file name -> the sha256 it must have before pyiqa may load it (iqabench.pins).
    pinned_sha256: ClassVar[Mapping[str, tuple[str, ...]]] = PINNED_SHA256
    #: undefined on a constant image or one of flat regions only (natural-scene statistics of local contrast).
    needs_texture: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self._model: "torch.nn.Module | None" = None
        self._device: "torch.device | None" = None

    def config(self) -> dict:
        return {
            **super().config(),
            "pyiqa": pyiqa_version(),
            "pyiqa_name": self.pyiqa_name,
            "pyiqa_options": self.pyiqa_options,
        }

    def weight_files(self) -> dict[str, Path] | None:
        """The declared files where they are present; None when only loading tells, or one is still to download."""
        if self.weight_file_names is None:
            return None
        found = {name: weights.find(name, PYIQA_SUBDIR) for name in self.weight_file_names}
        return None if None in found.values() else found

    def availability(self) -> Availability:
        return availability_of(self)

    def load(self, device: "torch.device") -> None:
        """Build the pyiqa model on ``device``; every weight file it fetches goes through iqabench.weights
        and is verified (iqabench.pins) before pyiqa reads it.

        Raises WeightsError when a file is missing offline, cannot be fetched, is refused (its sha256), or
        cannot be loaded (damaged, of another format), also when the library that asked for it carried on
        without it: a metric never scores with random weights.
        """
        if self.unsupported:
            raise UsageError(self.unsupported)
        import torch

        pyiqa = _import_pyiqa(self.name)
        fetches = Fetches(offline=weights.is_offline(), pinned=self.pinned_sha256)
        try:
            with routed_fetches(fetches):
                model = pyiqa.create_metric(self.pyiqa_name, device=torch.device(device))
        except ImportError as exc:
            fetches.raise_if_missing(exc)
            raise UsageError(f"metric {self.name!r} cannot load: {exc}. Install the missing package.") from exc
        except Exception as exc:
            fetches.raise_if_missing(exc)
            if fetches.loaded and not isinstance(exc, IqabenchError):  # read, but not what the model takes
                files = ", ".join(repr(str(v.path)) for v in dict.fromkeys(fetches.loaded))
                raise WeightsError(
                    f"metric {self.name!r} could not use its weight file(s) {files}: {type(exc).__name__}: {exc}\n"
                    "A file of another format or model version? Delete it and put the file pyiqa expects there."
                ) from exc
            raise
        fetches.raise_if_missing()
        if self.weight_file_names is None:
            loaded.record(self.name, fetches.paths, fetches.files)
        self.weights = dict(fetches.files)
        self._model = model
        self._device = torch.device(device)

    def score_batch(
        self, images: Sequence["torch.Tensor"], refs: Sequence["torch.Tensor"] | None = None
    ) -> list[float]:
        """Images of one shape are scored as one stacked batch, other shapes separately (each image
        on its own when :attr:`one_at_a_time`)."""
        if self._model is None:
            raise RuntimeError(f"metric {self.name!r}: call load() before score_batch()")
        import torch

        if self.kind == "FR" and (refs is None or len(refs) != len(images)):
            raise ValueError(f"full-reference metric {self.name!r} needs one reference per image")
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, image in enumerate(images):
            ref_shape = tuple(refs[i].shape) if refs is not None and self.kind == "FR" else None
            key = (i,) if self.one_at_a_time else (tuple(image.shape), ref_shape)
            groups[key].append(i)
        scores: list[float] = [0.0] * len(images)
        for indices in groups.values():
            if self.needs_texture:
                for i in indices:
                    _require_texture(self.name, images[i])
            batch = torch.stack([images[i] for i in indices]).to(self._device)
            # one image of a usable size that fails the way a flat image does: say so
            flat_only = self.needs_texture and len(indices) == 1 and min(batch.shape[-2:]) >= self.min_size
            try:
                if self.kind == "FR":
                    ref_batch = torch.stack([refs[i] for i in indices]).to(self._device)
                    output = self._model(batch, ref_batch)
                else:
                    output = self._model(batch)
            except Exception as exc:
                if flat_only and _flat_image_failure(exc):
                    raise ValueError(_too_flat(self.name, f"pyiqa: {type(exc).__name__}: {exc}")) from exc
                raise  # several images: the runner scores them one by one to find the culprit
            if not isinstance(output, torch.Tensor):
                raise ValueError(f"pyiqa {self.pyiqa_name} returned {type(output).__name__}, not a tensor of scores")
            values = output.detach().reshape(-1).double().cpu().tolist()
            if len(values) != len(indices):
                raise ValueError(f"pyiqa {self.pyiqa_name} returned {len(values)} scores for {len(indices)} images")
            for i, value in zip(indices, values):
                if flat_only and not math.isfinite(value):
                    raise ValueError(_too_flat(self.name, f"pyiqa returned {value}"))
                scores[i] = check_score(value)
        return scores


#: luma weights of pyiqa's ``to_y_channel`` (ITU-R BT.601, as MATLAB's rgb2ycbcr), for the constant check.
_LUMA = (65.481, 128.553, 24.966)


def _require_texture(metric: str, image: "torch.Tensor") -> None:
    """Raise ImageError when ``image`` (C, H, W) is constant in luma, where ``metric`` is undefined."""
    luma = image[0] if image.shape[0] == 1 else (image[:3] * image.new_tensor(_LUMA).view(3, 1, 1)).sum(0) / 255
    low, high = luma.min().item(), luma.max().item()
    if high - low <= 1e-7:
        pixel = ", ".join(f"{v:.4g}" for v in image[:, 0, 0].tolist())
        raise ImageError(
            f"the image is constant (every pixel has the luma of the first, RGB ({pixel})): {metric} measures "
            "the statistics of local contrast, which a constant image does not have, so it has no score"
        )


def _flat_image_failure(exc: BaseException) -> bool:
    """pyiqa's ways of failing on an image without texture (NIQE's SVD, BRISQUE's variance assertion)."""
    text = f"{type(exc).__name__}: {exc}"
    return "LinAlgError" in text or "non-finite" in text or "non zero variance" in text


def _too_flat(metric: str, detail: str) -> str:
    return (f"{metric} is undefined for this image: it has too little texture (constant or flat regions only), "
            f"so its local-contrast statistics are degenerate ({detail})")


def _import_pyiqa(metric: str):
    try:
        import pyiqa
    except ImportError as exc:
        if exc.name == "pyiqa":
            raise UsageError(f"metric {metric!r} needs pyiqa, which is not installed: {INSTALL_HINT}") from exc
        raise UsageError(f"metric {metric!r}: pyiqa failed to import ({exc}); install the missing package") from exc
    return pyiqa


def metric_class(pyiqa_name: str, config: dict | None) -> type[PyiqaMetric]:
    """The adapter class of one pyiqa metric; ``config`` is its DEFAULT_CONFIGS entry (None without pyiqa)."""
    named = NAMED.get(pyiqa_name)
    if config is not None:
        kind = config.get("metric_mode")
        lower_better = bool(config.get("lower_better", False))
        score_range = parse_score_range(config.get("score_range"))
        options = dict(config.get("metric_opts", {}))
        why = unsupported(pyiqa_name, config)
        if kind not in ("NR", "FR"):
            kind, why = "NR", why or f"pyiqa:{pyiqa_name} declares no metric_mode (NR or FR)"
    elif named is not None:
        kind, lower_better, score_range, options, why = named.kind, named.lower_better, named.score_range, {}, ""
    else:
        raise ValueError(f"pyiqa metric {pyiqa_name!r} needs its pyiqa config")
    if named is not None:
        weight_files: tuple[str, ...] | None = named.weight_files
        description = named.description
    else:
        weight_files = () if pyiqa_name in WEIGHT_FREE else None
        description = f"pyiqa {pyiqa_name} ({options.get('type', '?')})"
    attributes = {
        "__module__": __name__,
        "name": pyiqa_name if named is not None else f"pyiqa:{pyiqa_name}",
        "kind": kind,
        "lower_better": lower_better,
        "score_range": score_range,
        "description": description,
        "min_size": MIN_SIZES.get(pyiqa_name, 1),
        "batch_size": BATCH_SIZES.get(pyiqa_name, PyiqaMetric.batch_size),
        "pyiqa_name": pyiqa_name,
        "pyiqa_options": options,
        "weight_file_names": weight_files,
        "unsupported": why,
        "one_at_a_time": pyiqa_name in ONE_AT_A_TIME,
        "needs_texture": options.get("type") in NEEDS_TEXTURE or pyiqa_name in ("niqe", "brisque"),
    }
    class_name = "Pyiqa_" + re.sub(r"\W", "_", pyiqa_name)
    return type(class_name, (PyiqaMetric,), attributes)
