"""The acceptance tables: iqabench.stats against its baselines, and the harness (start-up, resume,
per-image overhead, rerun: :mod:`.harness`), timed in one run.

    python -m benchmarks                 # both tables (about five minutes on 2 cores)
    python -m benchmarks --only stats    # the statistics core alone (about two minutes)
    python -m benchmarks --only harness  # the harness alone
    python -m benchmarks --only effres   # effres images per second beside NIQE (needs ../shared)
    python -m benchmarks --only msfr     # msfr images per second beside pyiqa's SSIM
    python -m benchmarks --only gada     # gada images per second beside the paper's 120 (needs ../shared)
    python -m benchmarks --only ray      # the Ray executor against the local one (needs the extra ray)
    python -m benchmarks --only listing  # list metrics, info and --help: median wall, peak RSS, torch imported?
    python -m benchmarks --only memory   # a 30-image niqe run's peak RSS against a plain pyiqa loop (../shared)
    python benchmarks/report.py          # the same
    python -m benchmarks --quick         # small sizes, a smoke test of the command; targets not judged
    python -m benchmarks --skip-compile  # leave out the cold-cache compile rows (the slowest part)
    python -m benchmarks --json out.json # also write the rows as JSON
    python -m benchmarks --strict        # exit 1 when a target is not met

Each row times ours and the baseline in the same process, alternately, ``--repeat`` times, and keeps the
best (least disturbed) time of each; the ratio is baseline / ours. numba is warmed up (compiled or
loaded from its cache) before anything is timed, except in the rows that measure exactly that, which
run fresh interpreters. The machine is shared and noisy: ratios are what to read, and no test asserts one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

if __package__:
    from . import cases, effres, footprint, gada, harness, msfr, ray_executor
else:  # run as a script: python benchmarks/report.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks import cases, effres, footprint, gada, harness, msfr, ray_executor


@dataclass
class Row:
    case: str
    ours: float | None  # seconds (or ``unit``)
    baseline: float | None  # seconds, scaled to the same work as ours where a subset was timed
    baseline_name: str
    target: str  # ">= 1.5x" (ratio), "< 1 s" (ours, absolute), "<= 1.2x baseline" (ours / baseline), or "info"
    met: bool | None
    check: str  # how far ours and the baseline's values are apart
    note: str = ""
    unit: str = "s"  # "s", or "MB" for memory rows

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.baseline is None or self.ours <= 0:
            return None
        return self.baseline / self.ours


def judge(target: str, ours: float | None, ratio: float | None) -> bool | None:
    if target.startswith("<=") and target.endswith("x baseline"):  # ours at most that many times the baseline
        return None if not ratio else 1 / ratio <= float(target[2:].split("x")[0].strip())
    if target.startswith(">="):
        return None if ratio is None else ratio >= float(target[2:].strip().rstrip("x"))
    if target.startswith("<"):
        return None if ours is None else ours < float(target[1:].strip().rstrip("s"))
    return None


def best_pair(ours, baseline, repeat: int):
    """Time ``ours()`` and ``baseline()`` alternately ``repeat`` times: (best ours, its value, best
    baseline, its value)."""
    best_ours = best_base = math.inf
    value_ours = value_base = None
    for _ in range(repeat):
        start = time.perf_counter()
        value_ours = ours()
        best_ours = min(best_ours, time.perf_counter() - start)
        if baseline is not None:
            start = time.perf_counter()
            value_base = baseline()
            best_base = min(best_base, time.perf_counter() - start)
    return best_ours, value_ours, (best_base if baseline is not None else None), value_base


def gap(a, b) -> str:
    """max |a − b| over the values, as text."""
    d = float(np.nanmax(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))
    return "equal" if d == 0 else f"|Δ| {d:.1e}"


# --- the rows ------------------------------------------------------------------------------------------


def point_rows(sizes, repeat) -> list[Row]:
    import iqabench.stats as s

    x, y = cases.iqa_data(sizes["point"])
    s.srcc(x[:100], y[:100]), s.plcc(x[:100], y[:100]), s.krcc(x[:100], y[:100]), s.pra(x[:100], y[:100])
    rows = []
    for name, ours, base, base_name in (
        ("SRCC", s.srcc, cases.scipy_srcc, "scipy.stats.spearmanr"),
        ("PLCC", s.plcc, cases.scipy_plcc, "scipy.stats.pearsonr"),
        ("KRCC (tau-b)", s.krcc, cases.scipy_krcc, "scipy.stats.kendalltau"),
    ):
        t_ours, v_ours, t_base, v_base = best_pair(lambda: ours(x, y), lambda: base(x, y), repeat)
        rows.append(Row(f"{name}, n={sizes['point']:,}", t_ours, t_base, base_name, ">= 1.5x", None,
                        gap(v_ours, v_base)))

    # PRA at n = 10^6: an absolute target; the brute force is timed at N_BRUTE and extrapolated as n^2
    t_ours, v_ours, _, _ = best_pair(lambda: s.pra(x, y), None, repeat)
    v_counts = cases.scipy_krcc_pra(x, y)[1]
    xb, yb = cases.iqa_data(sizes["brute"])
    t_small, v_small, t_brute, v_brute = best_pair(lambda: s.pra(xb, yb), lambda: cases.brute_force_pra(xb, yb),
                                                   max(1, repeat // 2 + 1))
    scale = (sizes["point"] / sizes["brute"]) ** 2
    rows.append(Row(f"PRA, n={sizes['point']:,}", t_ours, t_brute * scale,
                    f"O(n^2) numpy, extrapolated from n={sizes['brute']:,} (x{scale:,.0f})", "< 1 s", None,
                    gap(v_ours, v_counts) + " (vs kendalltau-derived)",
                    f"brute force measured {t_brute:.3f} s at n={sizes['brute']:,}"))
    rows.append(Row(f"PRA, n={sizes['brute']:,}", t_small, t_brute, "O(n^2) numpy brute force, chunked", "info",
                    None, gap(v_small, v_brute)))
    return rows


def bootstrap_row(sizes, repeat) -> Row:
    import iqabench.stats as s

    x, y = cases.iqa_data(sizes["boot"])
    resamples, timed = sizes["resamples"], sizes["baseline_resamples"]
    s.bootstrap(x[:100], y[:100], statistics=cases.BOOT_STATISTICS, resamples=2)

    def ours():
        return s.bootstrap(x, y, statistics=cases.BOOT_STATISTICS, resamples=resamples).replicates[:, 0, :]

    t_ours, v_ours, t_base, v_base = best_pair(ours, lambda: cases.scipy_bootstrap(x, y, timed), repeat)
    scale = resamples / timed
    return Row(f"bootstrap {resamples:,} x SRCC+PLCC+KRCC+PRA, n={sizes['boot']:,}", t_ours, t_base * scale,
               f"loop over scipy ({timed:,} resamples timed, x{scale:g})", ">= 20x", None,
               gap(v_ours[:timed], v_base) + f" ({timed:,} resamples)")


def grouped_row(sizes, repeat) -> Row:
    import iqabench.stats as s

    x, y, g = cases.grouped_data(sizes["groups"])
    timed = sizes["baseline_groups"]
    subset = g < timed
    s.grouped(x[:100], y[:100], g[:100])
    t_ours, v_ours, t_base, v_base = best_pair(
        lambda: s.grouped(x, y, g).per_group[:, [0, 3]],
        lambda: cases.pandas_grouped(x[subset], y[subset], g[subset]).to_numpy(),
        repeat)
    scale = sizes["groups"] / timed
    return Row(f"grouped SRCC+PRA, {sizes['groups']:,} groups of {cases.GROUP_SIZE}", t_ours, t_base * scale,
               f"pandas groupby().apply(), scipy ({timed:,} groups timed, x{scale:g})", ">= 20x", None,
               gap(v_ours[:timed], v_base) + f" ({timed:,} groups)",
               "ours also computes PLCC and KRCC per group")


def logistic_row(sizes, repeat) -> Row:
    import iqabench.stats as s

    x, y = cases.iqa_data(sizes["logistic"])
    s.plcc_logistic(x[:100], y[:100])
    t_ours, v_ours, t_base, v_base = best_pair(lambda: s.plcc_logistic(x, y),
                                               lambda: cases.scipy_plcc_logistic(x, y), repeat)
    return Row(f"PLCC after VQEG logistic, n={sizes['logistic']:,}", t_ours, t_base,
               "scipy.optimize.curve_fit + pearsonr", "info", None, gap(v_ours, v_base))


def startup_rows(repeat, compile_rows: bool) -> list[Row]:
    rows = []
    code = cases.PROBE.format(call=cases.FIRST_CALLS["srcc"])
    all_code = cases.PROBE.format(call=cases.FIRST_CALLS["all"])
    cases.run_probe(all_code)  # numba's usual cache: fills whatever it lacks, so the runs below find it warm
    runs, all_runs, scipy_runs = [], [], []
    for _ in range(repeat):
        runs.append(cases.run_probe(code))
        all_runs.append(cases.run_probe(all_code))
        scipy_runs.append(cases.run_probe(cases.SCIPY_PROBE))
    in_process = min(r["import"] + r["first"] for r in runs)
    scipy_in_process = min(r["import"] + r["first"] for r in scipy_runs)
    imported = min(r["import"] for r in runs)
    rows.append(Row("startup, warm cache: import + first srcc (in process)", in_process, scipy_in_process,
                    "a fresh process importing scipy.stats, first spearmanr", "< 1 s", None, "",
                    f"of which import iqabench.stats {imported:.3f} s"))
    rows.append(Row("startup, warm cache: import + first srcc (process wall)",
                    min(r["wall"] for r in runs), min(r["wall"] for r in scipy_runs),
                    "the same for scipy.stats.spearmanr", "< 1 s", None, "",
                    "interpreter start-up and exit included"))
    rows.append(Row("startup, warm cache: import + first call of all six (in process)",
                    min(r["import"] + r["first"] for r in all_runs), None, "", "info", None, "",
                    "the six: srcc, plcc, krcc, pra, bootstrap, grouped; "
                    f"whole process {min(r['wall'] for r in all_runs):.3f} s wall"))
    if not compile_rows:
        return rows
    for name in ("srcc", "krcc/pra", "bootstrap", "grouped"):
        with tempfile.TemporaryDirectory(prefix="iqabench-numba-cold-") as cold_dir:
            probe = cases.run_probe(cases.PROBE.format(call=cases.FIRST_CALLS[name]), cold_dir)
        what = cases.FIRST_CALLS[name] + (" (default statistics: the logistic fit is compiled too)"
                                          if name == "bootstrap" else "")
        rows.append(Row(f"first call, cold cache: {name}", probe["first"], None, "", "info", None, "",
                        f"{what}; compile ~ {probe['first'] - probe['second']:.2f} s (first minus second call)"))
    return rows


# --- output --------------------------------------------------------------------------------------------


def seconds(t: float | None) -> str:
    if t is None:
        return "—"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1.0:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def amount(value: float | None, unit: str) -> str:
    if unit == "s" or value is None:
        return seconds(value)
    return f"{value:,.0f} {unit}"


def table(rows: list[Row]) -> str:
    from tabulate import tabulate

    body = []
    for row in rows:
        ratio = row.ratio
        met = "—" if row.met is None else ("met" if row.met else "NOT MET")
        body.append([row.case, amount(row.ours, row.unit), amount(row.baseline, row.unit),
                     "—" if ratio is None else f"{ratio:,.1f}x", row.target, met])
    return tabulate(body, headers=["case", "ours", "baseline", "ratio", "target", "met"], tablefmt="github",
                    disable_numparse=True)


def notes(rows: list[Row]) -> str:
    lines = []
    for row in rows:
        parts = [p for p in (f"baseline: {row.baseline_name}" if row.baseline_name else "",
                             f"values: {row.check}" if row.check else "", row.note) if p]
        if parts:
            lines.append(f"- {row.case}: " + "; ".join(parts))
    return "\n".join(lines)


def environment() -> str:
    import numba
    import pandas
    import scipy

    threads = numba.get_num_threads()
    return (f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
            f"pandas {pandas.__version__}, numba {numba.__version__} ({threads} threads); "
            f"{os.cpu_count()} CPUs, load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timings per row; the best is kept (5)")
    parser.add_argument("--quick", action="store_true", help="small sizes; targets are not judged")
    parser.add_argument("--skip-compile", action="store_true", help="leave out the cold-cache compile rows")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    parser.add_argument("--only", choices=["stats", "harness", "effres", "msfr", "gada", "ray", "listing", "memory"], help="one table only")
    args = parser.parse_args(argv)

    sizes = dict(point=cases.N_POINT, brute=cases.N_BRUTE, boot=cases.N_BOOT, resamples=cases.RESAMPLES,
                 baseline_resamples=cases.BASELINE_RESAMPLES, groups=cases.N_GROUPS,
                 baseline_groups=cases.BASELINE_GROUPS, logistic=cases.N_LOGISTIC)
    if args.quick:
        sizes.update(point=20_000, brute=2_000, boot=1_000, resamples=100, baseline_resamples=10, groups=500,
                     baseline_groups=100, logistic=5_000)
    repeat = 2 if args.quick else max(1, args.repeat)
    before = environment()
    started = time.perf_counter()
    rows = []
    if args.only in (None, "stats"):
        for make in (point_rows, bootstrap_row, grouped_row, logistic_row):
            made = make(sizes, repeat)
            rows.extend(made if isinstance(made, list) else [made])
            print(f"  ... {rows[-1].case}: done", file=sys.stderr, flush=True)
        rows.extend(startup_rows(2 if args.quick else 3, compile_rows=not (args.skip_compile or args.quick)))
    if args.only in (None, "harness"):
        rows.extend(harness.rows(Row, args.quick))
    if args.only in (None, "effres"):
        rows.extend(effres.rows(Row, args.quick))
    if args.only in (None, "msfr"):
        rows.extend(msfr.rows(Row, args.quick))
    if args.only in (None, "gada"):
        rows.extend(gada.rows(Row, args.quick))
    if args.only in (None, "ray"):
        rows.extend(ray_executor.rows(Row, args.quick))
    if args.only in (None, "listing"):
        rows.extend(footprint.listing_rows(Row, args.quick))
    if args.only in (None, "memory"):
        rows.extend(footprint.memory_rows(Row, args.quick))
    for row in rows:
        row.met = None if args.quick else judge(row.target, row.ours, row.ratio)

    print(f"iqabench benchmarks ({'quick, sizes reduced, targets not judged' if args.quick else 'full'}), "
          f"best of {repeat}, {time.perf_counter() - started:.0f} s in all")
    print(f"before: {before}")
    print(f"after:  load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    print(table(rows))
    print()
    print(notes(rows))
    if args.json:
        args.json.write_text(json.dumps([dict(asdict(r), ratio=r.ratio) for r in rows], indent=2))
    unmet = [r.case for r in rows if r.met is False]
    if unmet:
        print(f"\nnot met: {', '.join(unmet)}")
    return 1 if (args.strict and unmet) else 0


if __name__ == "__main__":
    sys.exit(main())
