"""Correlation statistics between metric scores and subjective scores.

Direction is handled once, here: a lower-is-better metric is negated, and so is a dataset whose
labels are lower-is-better (DMOS), so that every statistic is signed and a good metric scores
positive. ``abs()`` on a correlation would hide a sign error and is never used.

This first version computes with scipy; the numba core of iqabench.stats replaces it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class Correlations:
    """Signed SRCC, PLCC (raw), KRCC (tau-b) and PRA over ``n`` samples."""

    n: int
    srcc: float
    plcc: float
    krcc: float
    pra: float
    note: str = ""


@dataclass(frozen=True)
class GroupedCorrelations:
    """The mean over groups of each statistic, with the number of groups used and skipped."""

    groups: int
    skipped: int
    srcc: float
    krcc: float
    pra: float
    skipped_reasons: list[str] = field(default_factory=list)


def signed(scores, mos, *, lower_better: bool, higher_better: bool) -> tuple[np.ndarray, np.ndarray]:
    """Orient predictions and labels so that larger means better for both."""
    pred = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(mos, dtype=np.float64)
    if pred.shape != truth.shape:
        raise ValueError(f"{pred.size} scores but {truth.size} labels")
    for name, values in (("score", pred), ("label", truth)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(f"{name} at index {bad[0]} is {values[bad[0]]}: statistics need finite values")
    return (-pred if lower_better else pred), (truth if higher_better else -truth)


def pra(pred: np.ndarray, truth: np.ndarray, chunk: int = 2048) -> float:
    """Pairwise ranking accuracy: over pairs with different labels, the fraction the prediction orders
    the same way; prediction ties count one half. O(n²) in chunks (the numba core does O(n log n))."""
    correct = 0.0
    pairs = 0
    for start in range(0, len(pred), chunk):
        dp = np.sign(pred[start : start + chunk, None] - pred[None, :])
        dt = np.sign(truth[start : start + chunk, None] - truth[None, :])
        informative = dt != 0
        pairs += int(informative.sum())
        correct += float((dp == dt)[informative].sum()) + 0.5 * float((dp == 0)[informative].sum())
    return correct / pairs if pairs else math.nan


def correlations(pred: np.ndarray, truth: np.ndarray) -> Correlations:
    """Signed statistics of already-oriented arrays (see :func:`signed`). NaN with a note when undefined."""
    n = len(pred)
    if n < 2:
        return Correlations(n, math.nan, math.nan, math.nan, math.nan, "fewer than two samples")
    if np.ptp(pred) == 0 or np.ptp(truth) == 0:
        which = "scores" if np.ptp(pred) == 0 else "labels"
        return Correlations(n, math.nan, math.nan, math.nan, pra(pred, truth), f"constant {which}")
    return Correlations(
        n=n,
        srcc=float(sps.spearmanr(pred, truth).statistic),
        plcc=float(sps.pearsonr(pred, truth).statistic),
        krcc=float(sps.kendalltau(pred, truth).statistic),
        pra=pra(pred, truth),
    )


def grouped(pred: np.ndarray, truth: np.ndarray, groups) -> GroupedCorrelations:
    """Each statistic within each group (reference image, person…), then the mean over groups.

    Groups with fewer than two distinct labels are skipped and counted."""
    groups = np.asarray(groups, dtype=object)
    values, skipped, reasons = [], 0, []
    for group in sorted(set(groups.tolist()), key=str):
        member = groups == group
        if len(np.unique(truth[member])) < 2:
            skipped += 1
            reasons.append(f"{group}: fewer than two distinct labels")
            continue
        c = correlations(pred[member], truth[member])
        values.append((c.srcc, c.krcc, c.pra))
    if not values:
        return GroupedCorrelations(0, skipped, math.nan, math.nan, math.nan, reasons)
    srcc, krcc, pra_mean = np.nanmean(np.array(values), axis=0)
    return GroupedCorrelations(len(values), skipped, float(srcc), float(krcc), float(pra_mean), reasons)
