"""Harness benchmarks: start-up of the light commands, resuming a finished run, per-image
overhead, and rerunning a finished 50k-image run. Each is timed against its baseline in the same run:

- start-up: ``iqabench --help``, ``list datasets``, ``stats`` and ``export`` in fresh processes, against
  ``python -c pass`` (wall and peak RSS); each row also says whether torch or matplotlib was imported;
- resume: a finished two-metric run on 1,000 labelled images, run again (fresh process, statistics
  included): nothing is scored and no model is loaded;
- overhead: a trivial metric (mean pixel value) on small PNGs through :func:`iqabench.api.run`, with
  default settings, against a plain loop of :func:`iqabench.images.load_image` over the same files;
- rerun: a finished run on 50,000 small images (a folder, no labels), run again in a fresh process.

The metrics come from a one-file plugin installed through a real entry point, as a user's would be.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

PLUGIN = textwrap.dedent('''
    import iqabench

    class MeanPixel(iqabench.Metric):
        name = "bench-mean"
        batch_size = 32

        def score_batch(self, images, refs=None):
            return [float(image.mean()) for image in images]

    class LoadCounter(MeanPixel):
        """Like bench-mean, but says on stderr when it loads (a resume must not)."""
        name = "bench-loads"

        def load(self, device):
            import sys
            print("bench-loads: load() called", file=sys.stderr)

    @iqabench.hookimpl
    def register_metrics(register):
        register(MeanPixel())
        register(LoadCounter())
''')

#: peak resident memory of this process (VmHWM: unlike ru_maxrss, it does not carry the parent's over exec).
PEAK_RSS = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])"

PROBE = textwrap.dedent(f'''
    import atexit, sys
    def report():
        heavy = [m for m in ("torch", "matplotlib") if m in sys.modules]
        sys.stderr.write(f"PROBE maxrss_kb={{{PEAK_RSS}}} heavy={{','.join(heavy)}}\\n")
    atexit.register(report)
    sys.argv = ["iqabench", *sys.argv[1:]]
    from iqabench.cli import main
    main()
''')


def write_pngs(folder: Path, count: int, size: int = 32, seed: int = 0) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        path = folder / f"img{i:06d}.png"
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path, compress_level=1)
        paths.append(path)
    return paths


def write_labels(root: Path, paths: list[Path]) -> Path:
    labels = root / "meta_info.csv"
    rng = np.random.default_rng(1)
    with open(labels, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["image", "mos"])
        for path in paths:
            writer.writerow([path.relative_to(root).as_posix(), f"{rng.uniform(1, 5):.3f}"])
    return labels


class Environment:
    """A temporary folder with the plugin installed, a store, and an environment for subprocesses."""

    def __init__(self, folder: Path) -> None:
        from iqabench.testing import install_entry_point

        self.folder = folder
        site = install_entry_point(folder, "iqabench", "bench", PLUGIN)
        self.env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
                    "IQABENCH_STORE": str(folder / "scores.sqlite"), "IQABENCH_DATA": str(folder / "data"),
                    "IQABENCH_OFFLINE": "1", "COLUMNS": "200"}

    def iqabench(self, *args: str) -> dict:
        """Run a command in a fresh process: wall seconds, peak RSS, heavy modules imported, output."""
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PROBE, *args], env=self.env, capture_output=True, text=True,
                              timeout=3600)
        wall = time.perf_counter() - started
        probe = next((line for line in done.stderr.splitlines() if line.startswith("PROBE ")), "")
        fields = dict(part.split("=", 1) for part in probe.split()[1:])
        return {"wall": wall, "rss_mb": int(fields.get("maxrss_kb", 0)) / 1024, "heavy": fields.get("heavy", ""),
                "rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def baseline_process(env: dict) -> dict:
    started = time.perf_counter()
    code = f"import sys; sys.stderr.write(str({PEAK_RSS}))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return {"wall": time.perf_counter() - started, "rss_mb": int(done.stderr) / 1024}


def best(runs: list[dict], key: str) -> float:
    return min(r[key] for r in runs)


def startup_rows(Row, repeat: int) -> list:
    with tempfile.TemporaryDirectory(prefix="iqabench-bench-") as tmp:
        bench = Environment(Path(tmp))
        root = Path(tmp) / "labelled"
        write_labels(root, write_pngs(root / "images", 200))
        first = bench.iqabench("run", "-m", "bench-mean", "-m", "bench-loads", "-d", "metainfo", "--root", str(root))
        assert first["rc"] == 0, first["stderr"]
        commands = {
            "iqabench --help": ["--help"],
            "iqabench list datasets": ["list", "datasets"],
            "iqabench stats (200 images, 2 metrics)": ["stats", "-d", "metainfo"],
            "iqabench export (400 rows)": ["export", "-o", os.devnull],
        }
        baseline = [baseline_process(bench.env) for _ in range(repeat)]
        rows = []
        for label, args in commands.items():
            runs = [bench.iqabench(*args) for _ in range(repeat)]
            assert all(r["rc"] == 0 for r in runs), runs[0]["stderr"]
            heavy = runs[0]["heavy"] or "neither"
            times = best(runs, "wall") / best(baseline, "wall")
            rows.append(Row(f"{label}: wall", best(runs, "wall"), best(baseline, "wall"), "python -c pass", "< 0.5 s",
                            None, "", f"{times:.1f}x the wall of python -c pass; peak RSS {best(runs, 'rss_mb'):.0f} MB "
                            f"({best(runs, 'rss_mb') / best(baseline, 'rss_mb'):.1f}x python -c pass: "
                            f"{best(baseline, 'rss_mb'):.0f} MB; target < 150 MB); imports torch/matplotlib: {heavy}"))
        return rows


def resume_row(Row, repeat: int):
    with tempfile.TemporaryDirectory(prefix="iqabench-bench-") as tmp:
        bench = Environment(Path(tmp))
        root = Path(tmp) / "labelled"
        write_labels(root, write_pngs(root / "images", 1000))
        args = ("run", "-m", "bench-mean", "-m", "bench-loads", "-d", "metainfo", "--root", str(root))
        first = bench.iqabench(*args)
        assert first["rc"] == 0, first["stderr"]
        runs = [bench.iqabench(*args) for _ in range(repeat)]
        loaded = any("load() called" in r["stderr"] for r in runs)
        scored_now = [line for line in runs[0]["stdout"].splitlines() if "scored now" in line]
        return Row("resume a finished 2-metric run on 1,000 labelled images (fresh process, statistics included)",
                   best(runs, "wall"), first["wall"], "the first run, which scored them", "< 2 s", None, "",
                   f"model loaded on resume: {'yes' if loaded else 'no'}; torch imported: "
                   f"{'yes' if 'torch' in runs[0]['heavy'] else 'no'}; {'; '.join(scored_now)}")


def overhead_row(Row, count: int, repeat: int):
    from iqabench import api
    from iqabench.images import load_image

    with tempfile.TemporaryDirectory(prefix="iqabench-bench-") as tmp:
        bench = Environment(Path(tmp))
        paths = write_pngs(Path(tmp) / "folder", count)
        harness, decode = [], []
        for attempt in range(repeat):
            store = Path(tmp) / f"s{attempt}.sqlite"
            started = time.perf_counter()
            for path in paths:
                load_image(path)
            decode.append((time.perf_counter() - started) / count)
            started = time.perf_counter()
            result = api.run(["bench-mean"], "folder", root=paths[0].parent, store=store)
            harness.append((time.perf_counter() - started) / count)
            assert result.summaries[0].scored == count
        del bench
    over = min(harness) - min(decode)
    return Row(f"per-image overhead above load_image, trivial metric, {count:,} 32x32 PNGs, default settings",
               over, None, "", "< 0.0005 s", None, "",
               f"harness {min(harness) * 1e3:.3f} ms/image (hashing, store, batching, scoring) vs load_image alone "
               f"{min(decode) * 1e3:.3f} ms/image; workers by default: {_default_workers()}")


def _default_workers() -> int:
    from iqabench.runner import default_workers

    return default_workers()


def rerun_row(Row, count: int):
    with tempfile.TemporaryDirectory(prefix="iqabench-bench-") as tmp:
        bench = Environment(Path(tmp))
        folder = Path(tmp) / "many"
        write_pngs(folder, count, size=8)
        args = ("run", "-m", "bench-mean", "-d", "folder", "--root", str(folder))
        first = bench.iqabench(*args)
        assert first["rc"] == 0, first["stderr"]
        again = bench.iqabench(*args)
        assert again["rc"] == 0, again["stderr"]
    return Row(f"rerun of a finished {count:,}-image run (fresh process, folder without labels)", again["wall"],
               first["wall"], "the first run, which scored them", "< 3 s", None, "",
               f"peak RSS {again['rss_mb']:.0f} MB")


def rows(Row, quick: bool) -> list:
    repeat = 1 if quick else 3
    made = startup_rows(Row, repeat)
    print("  ... start-up: done", file=sys.stderr, flush=True)
    made.append(resume_row(Row, repeat))
    print("  ... resume: done", file=sys.stderr, flush=True)
    made.append(overhead_row(Row, 500 if quick else 3000, repeat))
    print("  ... overhead: done", file=sys.stderr, flush=True)
    made.append(rerun_row(Row, 2_000 if quick else 50_000))
    print("  ... rerun: done", file=sys.stderr, flush=True)
    return made
