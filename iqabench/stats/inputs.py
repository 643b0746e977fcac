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
    """Orient predictions and labels so that larger means better for both.

    A lower-is-better metric and lower-is-better labels (DMOS) are negated, with the same
    ``lower_better`` polarity as metrics (:attr:`iqabench.Metric.lower_better`) and dataset cards
    (:attr:`iqabench.DatasetCard.lower_better`). This is the one place direction is handled: every
    statistic is then signed, and a good metric scores positive.

    Parameters
    ----------
    scores : array_like
        The metric's scores, one per sample.
    mos : array_like
        The subjective labels (MOS or DMOS), paired one to one with ``scores``.
    lower_better : bool
        True when a lower score means a better image.
    labels_lower_better : bool, default False
        True when a lower label means a better image (DMOS).

    Returns
    -------
    pred, truth : numpy.ndarray
        Float64 vectors of one length, oriented so that larger is better.

    Raises
    ------
    iqabench.errors.StatisticsInputError
        When a value is NaN or infinite (naming the first bad index), when an input is not
        one-dimensional, or when the lengths differ.

    Examples
    --------
    >>> from iqabench.stats import signed
    >>> pred, truth = signed([0.1, 0.4, 0.2], [3.0, 1.0, 2.0], lower_better=True, labels_lower_better=True)
    >>> pred.tolist(), truth.tolist()
    ([-0.1, -0.4, -0.2], [-3.0, -1.0, -2.0])
    >>> signed([1.0, float("nan")], [1.0, 2.0], lower_better=False)
    Traceback (most recent call last):
    ...
    iqabench.errors.StatisticsInputError: scores[1] is nan: statistics need finite values (1 of 2 are not); ...
    """
    pred, truth = paired(scores, mos)
    return (-pred if lower_better else pred), (-truth if labels_lower_better else truth)


def undefined_reason(x: np.ndarray, y: np.ndarray) -> str | None:
    """Why a correlation of ``x`` and ``y`` is undefined (NaN), or None when it is defined.

    A correlation needs at least two samples, and neither the scores nor the labels may be constant.

    Parameters
    ----------
    x, y : numpy.ndarray
        Scores and labels, finite float vectors of one length (as :func:`signed` returns them).

    Returns
    -------
    str or None
        The reason, in words, or None when every correlation of ``x`` and ``y`` is defined.

    Examples
    --------
    >>> import numpy as np
    >>> from iqabench.stats import undefined_reason
    >>> undefined_reason(np.array([1.0, 2.0]), np.array([3.0, 3.0]))
    'the labels are constant'
    >>> undefined_reason(np.array([1.0]), np.array([3.0]))
    '1 sample(s): a correlation needs at least two'
    >>> undefined_reason(np.array([1.0, 2.0]), np.array([1.0, 3.0])) is None
    True
    """
    if x.size < 2:
        return f"{x.size} sample(s): a correlation needs at least two"
    if x.min() == x.max():
        return "the scores are constant"
    if y.min() == y.max():
        return "the labels are constant"
    return None
