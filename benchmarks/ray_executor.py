"""The Ray executor against the local one (issue 14), on the same images in the same run, each run into a
fresh store through :func:`iqabench.api.run`:

- a trivial metric (``bench-mean``, the mean pixel value, from the one-file plugin of :mod:`.harness`,
  installed through a real entry point that the actors find too), where decoding and the harness are
  all there is, and NIQE (pyiqa, CPU);
- each scored locally as today (torch's threads: every core), locally with one torch thread (like one
  actor), by one Ray actor and by two (one CPU and one torch thread each);
- per-image overhead = (t_ray1 − t_local) / n against the local run with one thread (like for like);
  throughput in images per second; the target is two actors at 1.7x the images per second of one (NIQE).

The images: the default dataset's 72 degraded photographs (at most 384 pixels a side), each twice under
another name (144 samples, 18 tasks of NIQE's batch of 8, so the last round of tasks keeps both actors
busy). Times are the runs' scoring seconds (:attr:`iqabench.runner.RunSummary.seconds`: from the first
claim to the last commit, actors already started); start-up (Ray, actors loading the metric) is in the
notes. A first, untimed local run on 8 of the images imports and initialises what the timed ones reuse. Needs the extra ``ray``; the NIQE rows need its weights (``IQABENCH_WEIGHTS_DIR``, else
``../shared/weights``). The machine is shared: the load average is printed with the figures.

    python -m benchmarks --only ray
    python -m benchmarks.ray_executor          # this table alone
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

SHARED_WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights"
COPIES = 2


@contextlib.contextmanager
def _settings(folder: Path) -> Iterator[None]:
    """Offline, data and weights folders, and the bench plugin on the path of this process and of Ray's
    workers (a local cluster's workers inherit this environment); all restored after."""
    from iqabench.testing import install_entry_point

    from .harness import PLUGIN

    site = install_entry_point(folder, "iqabench", "bench", PLUGIN)
    saved = dict(os.environ)
    os.environ.update(IQABENCH_DATA=str(folder / "data"), IQABENCH_OFFLINE="1", HF_HUB_OFFLINE="1",
                      PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    if not os.environ.get("IQABENCH_WEIGHTS_DIR") and SHARED_WEIGHTS.is_dir():
        os.environ["IQABENCH_WEIGHTS_DIR"] = str(SHARED_WEIGHTS)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        sys.path.remove(str(site))


def _images(folder: Path, limit: int | None) -> Path:
    """A folder of the default dataset's degraded images, each :data:`COPIES` times; returns it."""
    from iqabench.dataset import open_dataset
    from iqabench.plugins import load_registry

    samples = open_dataset(load_registry().dataset("default"), None).samples[:limit]
    root = folder / "images"
    root.mkdir()
    for copy in range(COPIES):
        for sample in samples:
            shutil.copyfile(sample.path, root / f"{copy}-{sample.id.replace('/', '-')}")
    return root


def _run(metric: str, root: Path, store: Path, executor=None) -> tuple[float, float, int]:
    """(scoring seconds, wall seconds, images scored) of one run into a fresh store."""
    from iqabench import api
    from iqabench.runner import RunOptions

    started = time.perf_counter()
    summary = api.run([metric], "folder", root=root, store=store, options=RunOptions(device="cpu"),
                      executor=executor, resamples=10).summaries[0]
    wall = time.perf_counter() - started
    assert summary.failed == 0 and summary.stored == 0, summary
    return summary.seconds, wall, summary.scored


def _ray_run(metric: str, root: Path, store: Path, actors: int) -> tuple[float, float, int]:
    from iqabench.executors import RayOptions, make_executor

    with contextlib.closing(make_executor("ray", RayOptions(actors=actors))) as executor:
        return _run(metric, root, store, executor)


def rows(Row, quick: bool) -> list:
    try:
        import ray
    except ImportError:
        print('  ... ray executor skipped: Ray is not installed (pip install -e ".[ray]")', file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory(prefix="iqabench-bench-ray-") as tmp, _settings(Path(tmp)):
        from iqabench.plugins import load_registry

        root = _images(Path(tmp), 8 if quick else None)
        niqe = load_registry().metric("niqe").availability()
        if not niqe.ok:
            print(f"  ... NIQE rows skipped: {niqe.reason}", file=sys.stderr)
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="warning")
        try:
            return _rows(Row, root, Path(tmp), niqe.ok)
        finally:
            ray.shutdown()


def _rows(Row, root: Path, folder: Path, with_niqe: bool) -> list:
    warm = folder / "warm"  # this process's first run imports and initialises what every later run finds
    warm.mkdir()
    for path in sorted(root.iterdir())[:8]:
        shutil.copyfile(path, warm / path.name)
    metrics = ("bench-mean", "niqe") if with_niqe else ("bench-mean",)
    for metric in metrics:
        _run(metric, warm, folder / f"warm-{metric}.sqlite")
    made = []
    for metric in metrics:
        runs = {"local": _run(metric, root, folder / f"{metric}-local.sqlite")}
        with _one_thread():
            runs["local, 1 thread"] = _run(metric, root, folder / f"{metric}-local1.sqlite")
        for actors in (1, 2):
            runs[actors] = _ray_run(metric, root, folder / f"{metric}-ray{actors}.sqlite", actors)
        made += _metric_rows(Row, metric, runs)
        print(f"  ... {metric}: done", file=sys.stderr, flush=True)
    return made


def _metric_rows(Row, metric: str, runs: dict) -> list:
    n = runs["local"][2]
    per_image = {key: seconds / n for key, (seconds, _, _) in runs.items()}

    def rate(key) -> str:
        return f"{1 / per_image[key]:.2f} images/s"

    def start_up(key) -> str:
        return f"{runs[key][1] - runs[key][0]:.1f} s"

    overhead = (per_image[1] - per_image["local, 1 thread"]) * 1000
    threads = _local_threads()
    return [
        Row(f"{metric} on {n} images: Ray 1 actor vs local, 1 torch thread each", per_image[1],
            per_image["local, 1 thread"], "local executor, torch threads set to 1", "info", None, "",
            f"overhead (t_ray1 - t_local) / n = {overhead:+.2f} ms per image; {rate(1)} vs "
            f"{rate('local, 1 thread')}; start-up and statistics: Ray {start_up(1)}, local {start_up('local')}"),
        Row(f"{metric} on {n} images: Ray 2 actors vs 1 actor", per_image[2], per_image[1], "Ray, 1 actor",
            ">= 1.7x" if metric == "niqe" else "info", None, "",
            f"{rate(2)} vs {rate(1)}; start-up and statistics with 2 actors {start_up(2)}"),
        Row(f"{metric} on {n} images: Ray 2 actors vs local ({threads} torch threads, as run today)", per_image[2],
            per_image["local"], "local executor, default settings", "info", None, "",
            f"{rate(2)} vs {rate('local')}"),
    ]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """The local executor with one torch thread, like one actor (its default is every core)."""
    from iqabench import runner

    default = runner.scoring_threads
    runner.scoring_threads = lambda workers, cores=None: 1
    try:
        yield
    finally:
        runner.scoring_threads = default


def _local_threads() -> int:
    from iqabench.runner import default_workers, scoring_threads

    return scoring_threads(default_workers())


def main() -> None:
    from .report import Row, judge, notes, table

    print(f"before: load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} CPUs")
    made = rows(Row, "--quick" in sys.argv)
    for row in made:
        row.met = None if "--quick" in sys.argv else judge(row.target, row.ours, row.ratio)
    print(f"after:  load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(table(made))
    print(notes(made))


if __name__ == "__main__":
    main()
