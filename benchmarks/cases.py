"""The data and the baselines that both the report (``python -m benchmarks``) and the pytest-benchmark
suite (``python -m pytest benchmarks/``) time.

Every baseline computes the same statistic as iqabench.stats on the same samples (the report checks that
the values agree), with the tools a user would otherwise reach for: scipy.stats, numpy, pandas.
"""

from __future__ import annotations

import math

import numpy as np

#: the sizes the acceptance table reports on
N_POINT = 1_000_000  # SRCC, PLCC, KRCC, PRA
N_BRUTE = 20_000  # the O(n^2) PRA
N_BOOT = 10_000
RESAMPLES = 1_000
BASELINE_RESAMPLES = 100  # the scipy loop is timed on this many resamples and scaled to RESAMPLES
N_GROUPS = 10_000
GROUP_SIZE = 10
BASELINE_GROUPS = 1_000  # pandas is timed on this many groups and scaled to N_GROUPS
N_LOGISTIC = 100_000
BOOT_STATISTICS = ("srcc", "plcc_raw", "krcc", "pra")
SEED = 2024


def iqa_data(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """(scores, mos) shaped like an IQA dataset.

    Scores are a float32 metric output (a few ties at 10^6). MOS follow a logistic curve of the scores
    (the relation the VQEG mapping assumes) plus rating noise, on a 0–100 scale rounded to 0.01: at most
    10,001 distinct values, so at n = 10^6 nearly every label is tied (subjective scores are averages of
    a few integer votes and tie often). SRCC is about 0.94."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0.0, 1.0, n).astype(np.float32).astype(np.float64)
    mos = 100.0 / (1.0 + np.exp(-1.5 * scores)) + rng.normal(0.0, 10.0, n)
    return scores, np.round(np.clip(mos, 0.0, 100.0), 2)


def grouped_data(n_groups: int = N_GROUPS, size: int = GROUP_SIZE, seed: int = SEED):
    """(scores, mos, groups): ``n_groups`` groups (reference images) of ``size`` distorted images each."""
    scores, mos = iqa_data(n_groups * size, seed)
    return scores, mos, np.repeat(np.arange(n_groups), size)


# --- scipy / numpy baselines ---------------------------------------------------------------------------


def scipy_srcc(x, y) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def scipy_plcc(x, y) -> float:
    from scipy.stats import pearsonr

    return float(pearsonr(x, y).statistic)


def scipy_krcc(x, y) -> float:
    from scipy.stats import kendalltau

    return float(kendalltau(x, y).statistic)


def _tied_pairs(run_lengths: np.ndarray) -> int:
    return int((run_lengths * (run_lengths - 1) // 2).sum())


def _run_lengths(starts: np.ndarray) -> np.ndarray:
    """Lengths of the runs that begin where ``starts`` (a boolean per sorted sample) is True."""
    return np.diff(np.flatnonzero(np.append(starts, True)))


def scipy_krcc_pra(x, y) -> tuple[float, float]:
    """Kendall's tau-b from ``scipy.stats.kendalltau`` and PRA derived from it, both O(n log n).

    With N0 = n(n − 1)/2 pairs, N1, N2, N3 the pairs tied in the scores, in the labels, and in both
    (counted from run lengths after a numpy sort), and C, D the concordant and discordant pairs:
    C + D = N0 − N1 − N2 + N3 (every pair tied in neither), and tau-b = (C − D) / sqrt((N0 − N1)(N0 − N2))
    gives C − D. So C = ((C + D) + (C − D)) / 2 and PRA = (C + (N1 − N3) / 2) / (N0 − N2): over the
    pairs whose labels differ, those the scores order the same way, a tie in the scores counting half
    (the definition in iqabench.stats.correlation). Only C − D is recovered from a rounded tau, so PRA
    agrees with the exact count to about 1e-12."""
    from scipy.stats import kendalltau

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = x.size
    n0 = n * (n - 1) // 2
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    new_x = np.concatenate(([True], xs[1:] != xs[:-1]))
    new_xy = new_x | np.concatenate(([True], ys[1:] != ys[:-1]))
    n1 = _tied_pairs(_run_lengths(new_x))
    n3 = _tied_pairs(_run_lengths(new_xy))
    n2 = _tied_pairs(np.unique(y, return_counts=True)[1])
    tau = float(kendalltau(x, y).statistic)
    c_minus_d = tau * math.sqrt(float(n0 - n1) * float(n0 - n2))
    concordant = ((n0 - n1 - n2 + n3) + c_minus_d) / 2.0
    return tau, (concordant + 0.5 * (n1 - n3)) / (n0 - n2)


def brute_force_pra(x, y, chunk: int = 256) -> float:
    """PRA by comparing every pair, O(n^2) time, O(chunk * n) memory: ``chunk`` rows of pairs at a time.

    Each unordered pair whose labels differ is counted once, from its member with the larger label i:
    it agrees when x_i > x_j and counts half when x_i == x_j. Boolean masks, one byte per pair."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    agree = 0.0
    informative = 0
    for start in range(0, x.size, chunk):
        xi = x[start:start + chunk, None]
        higher = y[start:start + chunk, None] > y[None, :]
        informative += int(np.count_nonzero(higher))
        agree += np.count_nonzero(higher & (xi > x)) + 0.5 * np.count_nonzero(higher & (xi == x))
    return agree / informative if informative else math.nan


def scipy_bootstrap(x, y, resamples: int, seed: int = 0) -> np.ndarray:
    """(resamples, 4) SRCC, PLCC, KRCC, PRA by a Python loop over scipy, one explicit resample at a time.

    Resample b repeats each sample as often as iqabench's resample b draws it
    (:func:`iqabench.stats.resample.draw_counts`), so the values must equal iqabench's replicates."""
    from scipy.stats import pearsonr, spearmanr

    from iqabench.stats.resample import draw_counts

    out = np.empty((resamples, 4))
    index = np.arange(x.size)
    for b in range(resamples):
        take = np.repeat(index, draw_counts(seed, b, x.size).astype(np.int64))
        xb, yb = x[take], y[take]
        tau, pra = scipy_krcc_pra(xb, yb)
        out[b] = spearmanr(xb, yb).statistic, pearsonr(xb, yb).statistic, tau, pra
    return out


def _group_pra(x: np.ndarray, y: np.ndarray) -> float:
    """PRA of one small group by comparing all its pairs (:func:`brute_force_pra`; for m = 10 the
    cheapest way)."""
    return brute_force_pra(x, y)


def pandas_grouped(x, y, groups):
    """(G, 2) per-group SRCC and PRA by ``DataFrame.groupby().apply()`` with scipy's spearmanr."""
    import pandas as pd
    from scipy.stats import spearmanr

    frame = pd.DataFrame({"score": x, "mos": y, "group": groups})

    def per_group(g):
        a, b = g["score"].to_numpy(), g["mos"].to_numpy()
        return pd.Series({"srcc": spearmanr(a, b).statistic, "pra": _group_pra(a, b)})

    return frame.groupby("group")[["score", "mos"]].apply(per_group)


def vqeg4(x, b1, b2, b3, b4):
    """The VQEG 4-parameter logistic, as in iqabench.stats.logistic."""
    return (b1 - b2) / (1.0 + np.exp(-(x - b3) / np.abs(b4))) + b2


def scipy_plcc_logistic(x, y) -> float:
    """PLCC after the VQEG logistic, fitted by ``scipy.optimize.curve_fit`` from the VQEG start."""
    from scipy.optimize import curve_fit
    from scipy.stats import pearsonr

    start = [y.max(), y.min(), x.mean(), x.std() / 4.0]
    params, _ = curve_fit(vqeg4, x, y, p0=start, maxfev=10_000)
    return float(pearsonr(vqeg4(x, *params), y).statistic)


# --- subprocess probes: import, first call, compilation -----------------------------------------------

#: the calls whose first-call time is measured in a fresh process, by name
FIRST_CALLS = {
    "srcc": "s.srcc(x, y)",
    "krcc/pra": "s.krcc(x, y); s.pra(x, y)",
    "bootstrap": "s.bootstrap(x, y, resamples=10)",
    "grouped": "s.grouped(x, y, g)",
    "all": "s.srcc(x, y); s.plcc(x, y); s.krcc(x, y); s.pra(x, y); s.bootstrap(x, y, resamples=10); "
           "s.grouped(x, y, g)",
}

#: a fresh process: import, first call, second call, each timed inside; prints one JSON line
PROBE = """\
import time
t0 = time.perf_counter()
import numpy as np
import iqabench.stats as s
t1 = time.perf_counter()
x = np.arange(20.0)
y = np.arange(20.0) % 7
g = np.arange(20) % 3
{call}
t2 = time.perf_counter()
{call}
t3 = time.perf_counter()
import json
print(json.dumps({{"import": t1 - t0, "first": t2 - t1, "second": t3 - t2}}))
"""

#: scipy's counterpart: a fresh process importing scipy.stats and calling spearmanr once
SCIPY_PROBE = """\
import time
t0 = time.perf_counter()
import numpy as np
from scipy.stats import spearmanr
t1 = time.perf_counter()
spearmanr(np.arange(20.0), np.arange(20.0) % 7)
t2 = time.perf_counter()
import json
print(json.dumps({"import": t1 - t0, "first": t2 - t1, "second": 0.0}))
"""


def run_probe(code: str, cache_dir: str | None = None, timeout: float = 600.0) -> dict:
    """Run ``code`` in a fresh interpreter, with ``NUMBA_CACHE_DIR=cache_dir`` when given (else numba's
    usual cache, beside the modules); its JSON and the wall time of the whole process (start-up, imports,
    calls and exit)."""
    import json
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    env = dict(os.environ) if cache_dir is None else dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    root = Path(__file__).resolve().parents[1]
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                          timeout=timeout)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"probe failed ({done.returncode}):\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result
