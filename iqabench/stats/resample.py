"""Deterministic bootstrap draws: SplitMix64 (Steele, Lea & Flood, OOPSLA 2014) seeded by (seed, b).

Resample ``b`` depends on the seed and ``b`` alone, so the draws are the same whichever thread computes
them, and the same for every metric: that is what makes the bootstrap paired.
"""

from __future__ import annotations

import numpy as np

from ._jit import jit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@jit
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@jit
def draw_counts(seed, b, n_units):
    """How many times each of ``n_units`` units is drawn in resample ``b`` (``n_units`` draws with
    replacement)."""
    state = _mix(np.uint64(seed) * _GOLDEN + np.uint64(b) + np.uint64(1))
    counts = np.zeros(n_units, np.float64)
    for _ in range(n_units):
        state = state + _GOLDEN
        u = np.float64(_mix(state) >> np.uint64(11)) * _UNIT
        counts[min(int(u * n_units), n_units - 1)] += 1.0
    return counts


@jit
def sample_weights(seed, b, group_of, n_groups):
    """Weights of the samples in resample ``b``: draw samples, or draw whole groups when ``n_groups`` > 0
    (each sample then weighs as often as its group was drawn)."""
    if n_groups == 0:
        return draw_counts(seed, b, group_of.size)
    counts = draw_counts(seed, b, n_groups)
    w = np.empty(group_of.size, np.float64)
    for i in range(group_of.size):
        w[i] = counts[group_of[i]]
    return w
