"""What the light commands and a small run cost, each in fresh processes:

- listing (``--only listing``): the median wall time of ``iqabench list metrics``, ``iqabench info`` and
  ``iqabench --help`` over several runs, against ``python -c pass``, with each one's peak RSS and whether
  it imported torch (it should not: availability is a file check);
- memory (``--only memory``): ``iqabench run -m niqe`` on 30 LIVE Challenge images from ``../shared``
  (a fresh score store each time, statistics included), against a plain pyiqa loop over the same image
  files (``pyiqa.create_metric("niqe")``, then one call per file): peak RSS of each process and the ratio
  run / loop (target at most 1.2x), wall times and their ratio, and how far the scores are apart.
  Skipped, with the reason, when ``../shared`` (the images or NIQE's weight file) or pyiqa is absent.

Peak RSS is the child's VmHWM, read from /proc/self/status as it exits.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLIVE = SHARED / "data" / "clive"
WEIGHTS = SHARED / "weights"
NIQE_FILE = "niqe_modelparameters.mat"
IMAGES = 30

#: peak resident memory of this process (VmHWM: unlike ru_maxrss, it does not carry the parent's over exec).
PEAK_RSS = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"

CLI_PROBE = textwrap.dedent(f'''
    import atexit, sys
    def report():
        heavy = [m for m in ("torch", "pyiqa", "numba", "pandas", "matplotlib") if m in sys.modules]
        sys.stderr.write(f"PROBE maxrss_kb={{{PEAK_RSS}}} heavy={{','.join(heavy)}}\\n")
    atexit.register(report)
    sys.argv = ["iqabench", *sys.argv[1:]]
    from iqabench.cli import main
    main()
''')

#: the plain pyiqa loop: what a user would write without iqabench (argv: a file listing image paths).
PYIQA_LOOP = textwrap.dedent(f'''
    import sys
    import pyiqa
    paths = open(sys.argv[1]).read().split("\\n")
    metric = pyiqa.create_metric("niqe")
    with open(sys.argv[2], "w") as out:
        for path in paths:
            out.write(f"{{path}},{{float(metric(path).item())!r}}\\n")
    sys.stderr.write(f"PROBE maxrss_kb={{{PEAK_RSS}}}\\n")
''')


def _run(argv: list[str], env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    probe = next((line for line in done.stderr.splitlines() if line.startswith("PROBE ")), "")
    fields = dict(part.split("=", 1) for part in probe.split()[1:])
    return {"wall": wall, "rss_mb": int(fields.get("maxrss_kb", 0)) / 1024, "heavy": fields.get("heavy", ""),
            "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def _iqabench(args: list[str], env: dict) -> dict:
    return _run([sys.executable, "-c", CLI_PROBE, *args], env)


def listing_rows(Row, quick: bool) -> list:
    runs = 3 if quick else 9
    env = {**os.environ, "COLUMNS": "120"}
    commands = {"iqabench list metrics": ["list", "metrics"], "iqabench info": ["info"],
                "iqabench --help": ["--help"]}
    empty = [_run([sys.executable, "-c", f"import sys; sys.stderr.write('PROBE maxrss_kb=' + str({PEAK_RSS}))"],
                  env) for _ in range(runs)]
    results: dict[str, list[dict]] = {label: [] for label in commands}
    for _ in range(runs):  # interleaved, so that a busy moment spreads over all of them
        for label, args in commands.items():
            results[label].append(_iqabench(args, env))
    base = statistics.median(r["wall"] for r in empty)
    base_rss = statistics.median(r["rss_mb"] for r in empty)
    rows = []
    for label, made in results.items():
        failed = [r for r in made if r["rc"] != 0]
        if failed:
            raise RuntimeError(f"{label} failed (exit {failed[0]['rc']}): {failed[0]['stderr'][-2000:]}")
        wall = statistics.median(r["wall"] for r in made)
        rss = statistics.median(r["rss_mb"] for r in made)
        heavy = made[0]["heavy"] or "none of torch, pyiqa, numba, pandas, matplotlib"
        rows.append(Row(f"{label}: median wall of {runs}", wall, base, "python -c pass (median)", "< 0.5 s", None, "",
                        f"min {min(r['wall'] for r in made):.3f} s, max {max(r['wall'] for r in made):.3f} s; "
                        f"peak RSS {rss:.0f} MB (python -c pass: {base_rss:.0f} MB); imported: {heavy}"))
    return rows


def _skip_reason() -> str | None:
    if not (CLIVE / "Images").is_dir():
        return "../shared is absent (no LIVE Challenge images at ../shared/data/clive/Images)"
    if not (WEIGHTS / "pyiqa" / NIQE_FILE).is_file():
        return f"../shared/weights/pyiqa/{NIQE_FILE} is absent"
    if importlib.util.find_spec("pyiqa") is None:
        return "pyiqa is not installed (pip install -e '.[pyiqa]')"
    return None


def _images() -> list[str]:
    """The first :data:`IMAGES` images of the subset in ``../shared`` (file names, in its order)."""
    listed = CLIVE / "SUBSET.txt"
    names = listed.read_text().split() if listed.is_file() else sorted(p.name for p in (CLIVE / "Images").iterdir())
    return [name for name in names if (CLIVE / "Images" / name).is_file()][:IMAGES]


def _mbs(runs: list[dict]) -> str:
    return ", ".join(f"{r['rss_mb']:.0f}" for r in runs)


def _scores(csv_path: Path, key: str) -> dict[str, float]:
    with open(csv_path, newline="") as f:
        return {Path(row[key]).name: float(row["score"]) for row in csv.DictReader(f) if row.get("score")}


def memory_rows(Row, quick: bool) -> list:
    why = _skip_reason()
    if why:
        print(f"  ... memory skipped: {why}", file=sys.stderr)
        return []
    repeat = 1 if quick else 3
    names = _images()
    with tempfile.TemporaryDirectory(prefix="iqabench-bench-") as tmp:
        tmp = Path(tmp)
        subset = tmp / "subset.txt"
        subset.write_text("".join(f"Images/{name}\n" for name in names))
        paths = tmp / "paths.txt"
        paths.write_text("\n".join(str(CLIVE / "Images" / name) for name in names))
        # pyiqa's own download cache ($TORCH_HOME/hub/pyiqa) gets a link to the same NIQE file iqabench reads
        cache = tmp / "torch" / "hub" / "pyiqa"
        cache.mkdir(parents=True)
        (cache / NIQE_FILE).symlink_to(WEIGHTS / "pyiqa" / NIQE_FILE)
        env = {**os.environ, "IQABENCH_WEIGHTS_DIR": str(WEIGHTS), "IQABENCH_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
               "TORCH_HOME": str(tmp / "torch"), "COLUMNS": "120"}

        def run(tag: str, *extra: str) -> dict:
            store = tmp / f"{tag}.sqlite"
            made = _iqabench(["run", "-m", "niqe", "-d", "livec", "--root", str(CLIVE), "--allow-missing", "--subset",
                              str(subset), "--store", str(store), "--format", "json", *extra], env)
            if made["rc"] != 0:
                raise RuntimeError(f"iqabench run failed (exit {made['rc']}): {made['stderr'][-2000:]}")
            made["statistics"] = json.loads(made["stdout"])["metrics"]
            made["scores"] = _exported(store, env, tmp / f"{tag}.csv")
            return made

        ours, loops = [], []
        for attempt in range(repeat):  # alternately, each in a fresh process, a fresh store each time
            ours.append(run(f"run{attempt}"))
            loop = _run([sys.executable, "-c", PYIQA_LOOP, str(paths), str(tmp / f"loop{attempt}.csv")], env)
            if loop["rc"] != 0:
                raise RuntimeError(f"the pyiqa loop failed (exit {loop['rc']}): {loop['stderr'][-2000:]}")
            with open(tmp / f"loop{attempt}.csv") as f:
                pairs = [line.rsplit(",", 1) for line in f if line.strip()]
            loop["scores"] = {Path(path).name: float(value) for path, value in pairs}
            loops.append(loop)
        stacked = run("stacked", "--batch-size", "8")  # niqe's default batch before it was 1
    rss, rss_loop = min(r["rss_mb"] for r in ours), min(r["rss_mb"] for r in loops)
    wall, wall_loop = min(r["wall"] for r in ours), min(r["wall"] for r in loops)
    same_statistics = "equal" if stacked["statistics"] == ours[0]["statistics"] else "DIFFERENT"
    return [
        Row(f"niqe on {len(names)} LIVE Challenge images: peak RSS, MB (fresh process, fresh store)",
            rss, rss_loop, "plain pyiqa loop: create_metric('niqe'), one call per file", "<= 1.2x baseline",
            None, f"scores vs the loop: {_gap(ours[0]['scores'], loops[0]['scores'])}",
            f"run / loop {rss / rss_loop:.2f}x (best of {repeat}; all runs: {_mbs(ours)} vs {_mbs(loops)} MB); "
            f"imported by the run: {ours[0]['heavy'] or 'none of the watched'}", unit="MB"),
        Row(f"niqe on {len(names)} LIVE Challenge images: wall (process, statistics included)",
            wall, wall_loop, "the same pyiqa loop", "info", None, "", f"run / loop {wall / wall_loop:.2f}x"),
        Row(f"niqe on {len(names)} images, --batch-size 8 (stacked batches): peak RSS, MB", stacked["rss_mb"],
            rss_loop, "the same pyiqa loop", "info", None,
            f"scores vs one at a time: {_gap(stacked['scores'], ours[0]['scores'])}; statistics: {same_statistics}",
            f"run / loop {stacked['rss_mb'] / rss_loop:.2f}x; wall {stacked['wall']:.1f} s "
            f"({stacked['wall'] / wall:.2f}x one at a time)", unit="MB"),
    ]


def _exported(store: Path, env: dict, target: Path) -> dict[str, float]:
    """The scores a store holds, by image file name (through ``iqabench export``)."""
    done = subprocess.run([sys.executable, "-m", "iqabench", "export", "--store", str(store), "-o", str(target)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"iqabench export failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return _scores(target, "sample_id")


def _gap(a: dict[str, float], b: dict[str, float]) -> str:
    common = sorted(set(a) & set(b))
    if not common:
        return "nothing to compare"
    gap = max(abs(a[name] - b[name]) for name in common)
    return f"{len(common)} compared, max |Δ| {gap:.1e}" + ("" if len(common) == len(a) == len(b) else " (sets differ)")
