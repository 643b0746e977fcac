"""A monotone map from the network's score to effective resolution, fitted on held-out faces and kept inside
the checkpoint.

The network's score (the median of its patch scores, supplement §1) ranks the copies of a face well, but its
scale need not be the label's: a checkpoint trained with MAPE reads sharp faces about 0.5. The paper has no
calibration step; this is an addition, so that a score means the effective resolution it is named for.

:func:`fit` regresses the true effective resolution on the raw score by isotonic regression (pool adjacent
violators, every image weighted equally); the knots are each pooled block's mean raw score and mean truth.
:class:`Calibration` interpolates linearly between the knots (constant past the end knots) and blends that with
the raw score at weight :data:`BLEND`, so the map is strictly increasing: ranks within a dataset, hence SRCC,
KRCC and PRA, are exactly the network's; only PLCC, RMSE and the numbers themselves change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

#: weight of the raw score in the calibrated one (keeps the map strictly increasing).
BLEND = 0.01


@dataclass(frozen=True)
class Calibration:
    """Knots of a non-decreasing piecewise-linear map (``raw`` strictly increasing), and what it was fitted on."""

    raw: tuple[float, ...]
    calibrated: tuple[float, ...]
    blend: float = BLEND
    fitted_on: str = ""

    def __post_init__(self) -> None:
        raw, calibrated = np.asarray(self.raw, float), np.asarray(self.calibrated, float)
        if raw.ndim != 1 or raw.shape != calibrated.shape or len(raw) == 0:
            raise ValueError(f"a calibration needs as many calibrated values as raw knots, at least one "
                             f"(got {len(self.raw)} and {len(self.calibrated)})")
        if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(calibrated))):
            raise ValueError("a calibration's knots must be finite numbers")
        if np.any(np.diff(raw) <= 0) or np.any(np.diff(calibrated) < 0):
            raise ValueError("a calibration's raw knots must increase strictly and its calibrated values must "
                             "not decrease")
        if not 0.0 <= self.blend < 1.0:
            raise ValueError(f"a calibration's blend must lie in [0, 1), not {self.blend}")

    def __call__(self, score: float) -> float:
        """The calibrated score of a raw score in [0, 1], clipped to [0, 1]."""
        mapped = float(np.interp(score, self.raw, self.calibrated))
        return float(np.clip((1.0 - self.blend) * mapped + self.blend * score, 0.0, 1.0))

    def as_dict(self) -> dict:
        """Plain values, as a checkpoint stores them."""
        return {**asdict(self), "raw": list(self.raw), "calibrated": list(self.calibrated)}

    @classmethod
    def from_dict(cls, data: dict) -> "Calibration":
        """The calibration a checkpoint stores (:meth:`as_dict`), checked."""
        try:
            return cls(tuple(map(float, data["raw"])), tuple(map(float, data["calibrated"])),
                       float(data.get("blend", BLEND)), str(data.get("fitted_on", "")))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"the checkpoint's calibration is malformed ({exc}); refit it with "
                             "python -m iqabench_effres.calibrate") from None


def isotonic_knots(raw: Sequence[float], truth: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The blocks of the non-decreasing least-squares fit of ``truth`` on ``raw`` (pool adjacent violators,
    :func:`scipy.optimize.isotonic_regression`), as (mean raw, mean truth) per block; equal raw scores share a
    block, so the raw knots increase strictly."""
    from scipy.optimize import isotonic_regression

    raw, truth = np.asarray(raw, float), np.asarray(truth, float)
    if raw.shape != truth.shape or raw.ndim != 1 or len(raw) == 0:
        raise ValueError("isotonic regression needs as many truths as raw scores, at least one")
    if not (np.all(np.isfinite(raw)) and np.all(np.isfinite(truth))):
        raise ValueError("isotonic regression needs finite raw scores and truths")
    values, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=truth) / counts
    fitted = isotonic_regression(means, weights=counts)
    starts = fitted.blocks[:-1]
    weight = np.add.reduceat(counts, starts)
    return np.add.reduceat(values * counts, starts) / weight, fitted.x[starts]


def fit(raw: Sequence[float], truth: Sequence[float], fitted_on: str = "") -> Calibration:
    """The :class:`Calibration` of isotonic regression of ``truth`` on ``raw`` (:func:`isotonic_knots`)."""
    knots, values = isotonic_knots(raw, truth)
    return Calibration(tuple(map(float, knots)), tuple(map(float, values)), BLEND, fitted_on)


__all__ = ["BLEND", "Calibration", "fit", "isotonic_knots"]
