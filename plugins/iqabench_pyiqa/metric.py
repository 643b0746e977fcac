"""The adapter: one :class:`PyiqaMetric` subclass per pyiqa metric, made by :func:`metric_class`."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from iqabench import weights
from iqabench.errors import UsageError
from iqabench.metric import Availability, Metric, check_score

from .catalog import MIN_SIZES, NAMED, ONE_AT_A_TIME, WEIGHT_FREE, WEIGHTS_URL, unsupported
from .configs import INSTALL_HINT, default_configs, parse_score_range, pyiqa_version
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
        if self.unsupported:
            return Availability(False, self.unsupported)
        if default_configs() is None:
            return Availability(False, f"needs pyiqa, which is not installed: {INSTALL_HINT}")
        if self.weight_file_names is None:
            return Availability(True, "weight files are known only when it loads")
        missing = [name for name in self.weight_file_names if weights.find(name, PYIQA_SUBDIR) is None]
        if not missing:
            return Availability(True)
        if weights.is_offline():
            urls = " ".join(WEIGHTS_URL.format(name) for name in missing)
            return Availability(
                False,
                f"weights missing: {', '.join(missing)}; download {urls} into {weights.cache_dir(PYIQA_SUBDIR)} "
                f"or $IQABENCH_WEIGHTS_DIR/{PYIQA_SUBDIR}",
            )
        return Availability(True, f"downloads {', '.join(missing)} when it loads")

    def load(self, device: "torch.device") -> None:
        """Build the pyiqa model on ``device``; every weight file it fetches goes through iqabench.weights.

        Raises WeightsError when a file is missing offline or cannot be fetched, also when the library
        that asked for it carried on without it: a metric never scores with random weights.
        """
        if self.unsupported:
            raise UsageError(self.unsupported)
        import torch

        pyiqa = _import_pyiqa(self.name)
        fetches = Fetches(offline=weights.is_offline())
        try:
            with routed_fetches(fetches):
                model = pyiqa.create_metric(self.pyiqa_name, device=torch.device(device))
        except ImportError as exc:
            fetches.raise_if_missing(exc)
            raise UsageError(f"metric {self.name!r} cannot load: {exc}. Install the missing package.") from exc
        except Exception as exc:
            fetches.raise_if_missing(exc)
            raise
        fetches.raise_if_missing()
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
            batch = torch.stack([images[i] for i in indices]).to(self._device)
            if self.kind == "FR":
                ref_batch = torch.stack([refs[i] for i in indices]).to(self._device)
                output = self._model(batch, ref_batch)
            else:
                output = self._model(batch)
            if not isinstance(output, torch.Tensor):
                raise ValueError(f"pyiqa {self.pyiqa_name} returned {type(output).__name__}, not a tensor of scores")
            values = output.detach().reshape(-1).double().cpu().tolist()
            if len(values) != len(indices):
                raise ValueError(f"pyiqa {self.pyiqa_name} returned {len(values)} scores for {len(indices)} images")
            for i, value in zip(indices, values):
                scores[i] = check_score(value)
        return scores


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
        "pyiqa_name": pyiqa_name,
        "pyiqa_options": options,
        "weight_file_names": weight_files,
        "unsupported": why,
        "one_at_a_time": pyiqa_name in ONE_AT_A_TIME,
    }
    class_name = "Pyiqa_" + re.sub(r"\W", "_", pyiqa_name)
    return type(class_name, (PyiqaMetric,), attributes)
