"""Checking and orienting the arrays every statistic receives.

Direction is handled once, here (docs/architecture.md, "Statistics conventions"): a lower-is-better
metric is negated, and so are lower-is-better labels (DMOS), so that every statistic is signed and a good
metric scores positive. ``abs()`` on a correlation would hide a sign error and is never used.
"""

from __future__ import annotations

import numpy as np

from ..errors import StatisticsInputError


def finite_vector(values, name: str) -> np.ndarray:
    """``values`` as a contiguous float64 vector; NaN or ±inf raise, naming the first bad index."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise StatisticsInputError(f"{name} must be one-dimensional, got shape {array.shape}")
    finite = np.isfinite(array)
    if not finite.all():
        first = int(np.argmin(finite))
        raise StatisticsInputError(
            f"{name}[{first}] is {array[first]}: statistics need finite values "
            f"({int((~finite).sum())} of {array.size} are not); a NaN score is a failure, not a score"
        )
    return array


def paired(pred, truth) -> tuple[np.ndarray, np.ndarray]:
    """Predictions and labels as finite float64 vectors of one length."""
    x = finite_vector(pred, "scores")
    y = finite_vector(truth, "labels")
    if x.size != y.size:
        raise StatisticsInputError(f"{x.size} scores but {y.size} labels: they must be paired one to one")
    return x, y


def signed(scores, mos, *, lower_better: bool, labels_lower_better: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Orient predictions and labels so that larger means better for both: a lower-is-better metric and
    lower-is-better labels (DMOS) are negated (the same ``lower_better`` polarity as metrics and cards)."""
    pred, truth = paired(scores, mos)
    return (-pred if lower_better else pred), (-truth if labels_lower_better else truth)


def undefined_reason(x: np.ndarray, y: np.ndarray) -> str | None:
    """Why a correlation of ``x`` and ``y`` is undefined (NaN), or None when it is defined."""
    if x.size < 2:
        return f"{x.size} sample(s): a correlation needs at least two"
    if x.min() == x.max():
        return "the scores are constant"
    if y.min() == y.max():
        return "the labels are constant"
    return None
