"""pytest-benchmark suite of iqabench.stats: ``python -m pytest benchmarks/`` (not part of the test run).

Each ``benchmark.group`` pairs ours with its baseline at the same size, except where a baseline is timed
on a subset (the scipy bootstrap loop on BASELINE_RESAMPLES resamples, pandas on BASELINE_GROUPS groups;
the test names say so) and the O(n^2) PRA (timed at N_BRUTE). ``python -m benchmarks`` scales those and
prints the ratios. Values are checked against the baseline; timings are never asserted (the machine is
shared and noisy). ``-m "not slow"`` leaves out the cold-cache compile benchmarks.
"""

from __future__ import annotations

import shutil
import tempfile

import numpy as np
import pytest

import iqabench.stats as s

from . import cases

POINT = [
    ("srcc", s.srcc, cases.scipy_srcc),
    ("plcc", s.plcc, cases.scipy_plcc),
    ("krcc", s.krcc, cases.scipy_krcc),
]


@pytest.fixture(scope="module")
def point_data():
    x, y = cases.iqa_data(cases.N_POINT)
    for _, ours, _ in POINT:
        ours(x[:100], y[:100])  # compile or load from the cache before timing
    s.pra(x[:100], y[:100])
    return x, y


@pytest.fixture(scope="module")
def brute_data():
    return cases.iqa_data(cases.N_BRUTE)


@pytest.fixture(scope="module")
def boot_data():
    x, y = cases.iqa_data(cases.N_BOOT)
    s.bootstrap(x[:100], y[:100], statistics=cases.BOOT_STATISTICS, resamples=2)
    return x, y


@pytest.fixture(scope="module")
def group_data():
    x, y, g = cases.grouped_data()
    s.grouped(x[:100], y[:100], g[:100])
    return x, y, g


@pytest.mark.parametrize("name, ours, baseline", POINT, ids=[p[0] for p in POINT])
def test_point_ours(benchmark, point_data, name, ours, baseline):
    benchmark.group = f"{name}, n={cases.N_POINT:,}"
    x, y = point_data
    value = benchmark(ours, x, y)
    assert value == pytest.approx(baseline(x, y), abs=1e-12)


@pytest.mark.parametrize("name, ours, baseline", POINT, ids=[p[0] for p in POINT])
def test_point_scipy(benchmark, point_data, name, ours, baseline):
    benchmark.group = f"{name}, n={cases.N_POINT:,}"
    x, y = point_data
    benchmark(baseline, x, y)


def test_pra_ours_1e6(benchmark, point_data):
    benchmark.group = f"pra, n={cases.N_POINT:,} (target < 1 s)"
    x, y = point_data
    value = benchmark(s.pra, x, y)
    assert value == pytest.approx(cases.scipy_krcc_pra(x, y)[1], abs=1e-12)


def test_pra_kendalltau_derived_1e6(benchmark, point_data):
    benchmark.group = f"pra, n={cases.N_POINT:,} (target < 1 s)"
    benchmark.pedantic(cases.scipy_krcc_pra, args=point_data, rounds=3, warmup_rounds=0)


def test_pra_ours_brute_n(benchmark, brute_data):
    benchmark.group = f"pra, n={cases.N_BRUTE:,}"
    x, y = brute_data
    s.pra(x[:100], y[:100])
    value = benchmark(s.pra, x, y)
    assert value == pytest.approx(cases.brute_force_pra(x, y), abs=1e-12)


def test_pra_brute_force(benchmark, brute_data):
    benchmark.group = f"pra, n={cases.N_BRUTE:,}"
    benchmark.pedantic(cases.brute_force_pra, args=brute_data, rounds=3, warmup_rounds=0)


def test_bootstrap_ours(benchmark, boot_data):
    benchmark.group = f"bootstrap SRCC+PLCC+KRCC+PRA, n={cases.N_BOOT:,}"
    x, y = boot_data
    result = benchmark.pedantic(s.bootstrap, args=(x, y),
                                kwargs=dict(statistics=cases.BOOT_STATISTICS, resamples=cases.RESAMPLES),
                                rounds=5, warmup_rounds=1)
    timed = 10
    assert np.allclose(result.replicates[:timed, 0, :], cases.scipy_bootstrap(x, y, timed), rtol=0, atol=1e-12)


def test_bootstrap_scipy_loop(benchmark, boot_data):
    """Timed on BASELINE_RESAMPLES resamples, not RESAMPLES: multiply by RESAMPLES / BASELINE_RESAMPLES."""
    benchmark.group = f"bootstrap SRCC+PLCC+KRCC+PRA, n={cases.N_BOOT:,}"
    x, y = boot_data
    benchmark.extra_info["resamples"] = cases.BASELINE_RESAMPLES
    benchmark.pedantic(cases.scipy_bootstrap, args=(x, y, cases.BASELINE_RESAMPLES), rounds=3, warmup_rounds=0)


def test_grouped_ours(benchmark, group_data):
    benchmark.group = f"grouped SRCC+PRA, groups of {cases.GROUP_SIZE}"
    x, y, g = group_data
    result = benchmark(s.grouped, x, y, g)
    subset = g < 100
    expected = cases.pandas_grouped(x[subset], y[subset], g[subset]).to_numpy()
    assert np.allclose(result.per_group[:100][:, [0, 3]], expected, rtol=0, atol=1e-12)


def test_grouped_pandas_subset(benchmark, group_data):
    """Timed on BASELINE_GROUPS groups, not N_GROUPS: multiply by N_GROUPS / BASELINE_GROUPS."""
    benchmark.group = f"grouped SRCC+PRA, groups of {cases.GROUP_SIZE}"
    x, y, g = group_data
    subset = g < cases.BASELINE_GROUPS
    benchmark.extra_info["groups"] = cases.BASELINE_GROUPS
    benchmark.pedantic(cases.pandas_grouped, args=(x[subset], y[subset], g[subset]), rounds=3, warmup_rounds=0)


@pytest.fixture(scope="module")
def logistic_data():
    x, y = cases.iqa_data(cases.N_LOGISTIC)
    s.plcc_logistic(x[:100], y[:100])
    return x, y


def test_logistic_ours(benchmark, logistic_data):
    benchmark.group = f"plcc after vqeg4 logistic, n={cases.N_LOGISTIC:,}"
    value = benchmark(s.plcc_logistic, *logistic_data)
    assert value == pytest.approx(cases.scipy_plcc_logistic(*logistic_data), abs=1e-6)


def test_logistic_scipy_curve_fit(benchmark, logistic_data):
    benchmark.group = f"plcc after vqeg4 logistic, n={cases.N_LOGISTIC:,}"
    benchmark(cases.scipy_plcc_logistic, *logistic_data)


@pytest.fixture(scope="module")
def warm_cache():
    """numba's usual cache (NUMBA_CACHE_DIR if set, else beside the modules), filled where it lacks."""
    cases.run_probe(cases.PROBE.format(call=cases.FIRST_CALLS["all"]))


@pytest.mark.parametrize("call", ["srcc", "all"])
def test_startup_warm_cache(benchmark, warm_cache, call):
    """A fresh interpreter: import iqabench.stats and the first call(s), numba cache warm (wall time of
    the whole process; the in-process times are in extra_info of the last round)."""
    benchmark.group = "startup: fresh process, warm cache (target < 1 s)"
    probe = benchmark.pedantic(cases.run_probe, args=(cases.PROBE.format(call=cases.FIRST_CALLS[call]),), rounds=3,
                               warmup_rounds=0)
    benchmark.extra_info.update(probe)


def test_startup_scipy(benchmark):
    benchmark.group = "startup: fresh process, warm cache (target < 1 s)"
    probe = benchmark.pedantic(cases.run_probe, args=(cases.SCIPY_PROBE,), rounds=3, warmup_rounds=0)
    benchmark.extra_info.update(probe)


@pytest.mark.slow
@pytest.mark.parametrize("call", ["srcc", "krcc/pra", "bootstrap", "grouped"])
def test_first_call_cold_cache(benchmark, call):
    """A fresh interpreter with an empty NUMBA_CACHE_DIR: what the first call costs with compilation."""
    benchmark.group = "first call, cold cache (compile)"
    directories = []

    def fresh():
        directories.append(tempfile.mkdtemp(prefix="iqabench-numba-cold-"))
        return (cases.PROBE.format(call=cases.FIRST_CALLS[call]), directories[-1]), {}

    try:
        probe = benchmark.pedantic(cases.run_probe, setup=fresh, rounds=1, warmup_rounds=0)
    finally:
        for directory in directories:
            shutil.rmtree(directory, ignore_errors=True)
    benchmark.extra_info.update(probe)
