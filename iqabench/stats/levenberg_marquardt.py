"""Levenberg–Marquardt in numba: the weighted least-squares fit of a logistic curve, and when it has converged."""

from __future__ import annotations

import math

import numpy as np

from ._jit import jit
from .logistic_curves import model_gradient, model_value

_TOLERANCE = 1.49012e-08


@jit
def _sse(model, p, x, y, w):
    total = 0.0
    for i in range(x.size):
        if w[i] != 0:
            r = y[i] - model_value(model, p, x[i])
            total += w[i] * r * r
    return total


@jit
def _curve_shift(model, p, q, x, w):
    """The largest change of Q(x) over the samples between parameters ``p`` and ``q``."""
    shift = 0.0
    for i in range(x.size):
        if w[i] != 0:
            shift = max(shift, abs(model_value(model, q, x[i]) - model_value(model, p, x[i])))
    return shift


@jit
def _solve(a, b):
    """Solve a small dense system by Gaussian elimination with partial pivoting; False when singular."""
    k = b.size
    m = a.copy()
    v = b.copy()
    for col in range(k):
        pivot = col
        for row in range(col + 1, k):
            if abs(m[row, col]) > abs(m[pivot, col]):
                pivot = row
        if m[pivot, col] == 0.0 or not math.isfinite(m[pivot, col]):
            return v, False
        if pivot != col:
            for c in range(k):
                m[col, c], m[pivot, c] = m[pivot, c], m[col, c]
            v[col], v[pivot] = v[pivot], v[col]
        for row in range(col + 1, k):
            f = m[row, col] / m[col, col]
            for c in range(col, k):
                m[row, c] -= f * m[col, c]
            v[row] -= f * v[col]
    for col in range(k - 1, -1, -1):
        acc = v[col]
        for c in range(col + 1, k):
            acc -= m[col, c] * v[c]
        v[col] = acc / m[col, col]
    return v, True


@jit
def levenberg_marquardt(model, x, y, w, start, max_iterations):
    """Weighted least-squares fit of ``model``; returns (parameters, converged, iterations).

    The damping follows Nielsen's rule (Madsen, Nielsen & Tingleff, *Methods for non-linear least squares
    problems*, 2004, §3.2): after a step with gain ratio ρ (actual over predicted reduction) the damping is
    multiplied by max(1/3, 1 − (2ρ − 1)³); after a refused step by ν, which doubles each time.
    Converged, as in MINPACK's ``lmder`` (scipy's ``curve_fit`` defaults): an accepted step lowered the
    weighted SSE by at most ``ftol`` = 1.49e-8 of itself and the linearised model predicted no more (a
    step kept short by heavy damping is not convergence), or changed no parameter by more than ``xtol`` =
    1.49e-8 of its size, or no damped step can lower the SSE any more (damping beyond 1e16). One more
    test serves data whose least-squares optimum lies at infinity (nearly linear or exponential data: the
    parameters drift while the curve stays put): the step moved no fitted value by more than ``xtol``
    (in units of the labels' standard deviation)."""
    k = start.size
    p = start.copy()
    sse = _sse(model, p, x, y, w)
    damping = 1e-3
    growth = 2.0
    grad = np.empty(k)
    for iteration in range(1, max_iterations + 1):
        a = np.zeros((k, k))
        b = np.zeros(k)
        for i in range(x.size):
            if w[i] == 0:
                continue
            model_gradient(model, p, x[i], grad)
            r = y[i] - model_value(model, p, x[i])
            for u in range(k):
                b[u] += w[i] * grad[u] * r
                for v in range(u + 1):
                    a[u, v] += w[i] * grad[u] * grad[v]
        for u in range(k):
            for v in range(u):
                a[v, u] = a[u, v]
        while True:
            damped = a.copy()
            for u in range(k):
                damped[u, u] += damping * max(a[u, u], 1e-12)
            step, ok = _solve(damped, b)
            if ok:
                trial = p + step
                trial_sse = _sse(model, trial, x, y, w)
                predicted = 2.0 * np.dot(b, step) - np.dot(step, a @ step)
                if math.isfinite(trial_sse) and trial_sse < sse and predicted > 0:
                    reduction = sse - trial_sse
                    small_step = True
                    for u in range(k):
                        if abs(step[u]) > _TOLERANCE * (abs(p[u]) + _TOLERANCE):
                            small_step = False
                    if not small_step:
                        small_step = _curve_shift(model, p, trial, x, w) <= _TOLERANCE
                    p = trial
                    sse = trial_sse
                    gain = reduction / predicted
                    damping = max(damping * max(1.0 / 3.0, 1.0 - (2.0 * gain - 1.0) ** 3), 1e-12)
                    growth = 2.0
                    if (reduction <= _TOLERANCE * sse and predicted <= _TOLERANCE * sse) or small_step:
                        return p, True, iteration
                    break
            damping *= growth
            growth *= 2.0
            if damping > 1e16:
                return p, math.isfinite(sse), iteration
    return p, False, max_iterations
