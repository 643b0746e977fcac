"""The Ray executor against the local one, on the same images in the same run, each run into a
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
claim to the last commit, actors already started); start-up (actors loading the metric) and the
statistics are in the notes. A first, untimed run on 8 of the images (locally, and on each actor) imports
and initialises what the timed ones reuse. Beside the times, the CPU seconds of the processes that scored
(read from /proc): on a machine shared with other jobs they tell a slow run from a starved one. Needs
the extra ``ray``; the NIQE rows need its weights (``IQABENCH_WEIGHTS_DIR``, else ``../shared/weights``).
The load average is printed with the figures.

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
from dataclasses import dataclass
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


@dataclass
class Timed:
    """One run: scoring seconds, wall seconds (start-up and statistics too), images scored, and the CPU
    seconds of the processes that decoded and scored (this process for a local run; for a Ray run the
    actors while scoring, and this process, the driver, for the whole run)."""

    seconds: float
    wall: float
    images: int
    cpu: float
    driver_cpu: float = 0.0


def _run(metric: str, root: Path, store: Path, executor=None) -> Timed:
    from iqabench import api
    from iqabench.runner import RunOptions

    started, cpu = time.perf_counter(), time.process_time()
    summary = api.run([metric], "folder", root=root, store=store, options=RunOptions(device="cpu"),
                      executor=executor, resamples=10).summaries[0]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert summary.failed == 0 and summary.stored == 0, summary
    return Timed(summary.seconds, wall, summary.scored, cpu)


def _ray_run(metric: str, root: Path, warm: Path, store: Path, actors: int) -> Timed:
    """A run on ``actors`` actors, started first (the run keeps the pool: same metric, same settings), each
    warmed up on the ``warm`` images as this process is, so that their CPU time while scoring can be read."""
    import ray

    from iqabench.executors import RayOptions, make_executor, transport
    from iqabench.plugins import load_registry
    from iqabench.runner import RunOptions

    started = time.perf_counter()
    with contextlib.closing(make_executor("ray", RayOptions(actors=actors))) as executor:
        executor.load(load_registry().metric(metric), RunOptions(device="cpu"), len(list(root.iterdir())))
        start_up = time.perf_counter() - started
        pids = [found["pid"] for found in ray.get([a.load.remote() for a in executor.actors])]
        items = [transport.Item(i, str(path)) for i, path in enumerate(sorted(warm.iterdir()))]
        ray.get([actor.score.remote(items) for actor in executor.actors])
        before = _cpu(pids)
        timed = _run(metric, root, store, executor)
        return Timed(timed.seconds, timed.wall + start_up, timed.images, _cpu(pids) - before, timed.cpu)


def _cpu(pids: list[int]) -> float:
    """CPU seconds (user and system) of these processes so far, from /proc."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


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
            runs[actors] = _ray_run(metric, root, warm, folder / f"{metric}-ray{actors}.sqlite", actors)
        made += _metric_rows(Row, metric, runs)
        print(f"  ... {metric}: done", file=sys.stderr, flush=True)
    return made


def _metric_rows(Row, metric: str, runs: dict[str | int, Timed]) -> list:
    n = runs["local"].images
    per_image = {key: run.seconds / n for key, run in runs.items()}

    def rate(key) -> str:
        return f"{1 / per_image[key]:.2f} images/s"

    def start_up(key) -> str:
        return f"{runs[key].wall - runs[key].seconds:.1f} s"

    def cpu(key) -> str:
        run = runs[key]
        if isinstance(key, int):
            return (f"actors' CPU {run.cpu / n * 1000:.1f} ms per image, {run.cpu / run.seconds:.2f} cores on "
                    f"average while scoring; driver's CPU {run.driver_cpu / n * 1000:.1f} ms per image")
        return f"CPU {run.cpu / n * 1000:.1f} ms per image (the whole run)"

    overhead = (per_image[1] - per_image["local, 1 thread"]) * 1000
    threads = _local_threads()
    return [
        Row(f"{metric} on {n} images: Ray 1 actor vs local, 1 torch thread each", per_image[1],
            per_image["local, 1 thread"], "local executor, torch threads set to 1", "info", None, "",
            f"overhead (t_ray1 - t_local) / n = {overhead:+.2f} ms per image; {rate(1)} vs "
            f"{rate('local, 1 thread')}; Ray: {cpu(1)}; local: {cpu('local, 1 thread')}; start-up and "
            f"statistics: Ray {start_up(1)}, local {start_up('local, 1 thread')}"),
        Row(f"{metric} on {n} images: Ray 2 actors vs 1 actor", per_image[2], per_image[1], "Ray, 1 actor",
            ">= 1.7x" if metric == "niqe" else "info", None, "",
            f"{rate(2)} vs {rate(1)}; 2 actors: {cpu(2)}; start-up and statistics {start_up(2)}"),
        Row(f"{metric} on {n} images: Ray 2 actors vs local ({threads} torch threads, as run today)", per_image[2],
            per_image["local"], "local executor, default settings", "info", None, "",
            f"{rate(2)} vs {rate('local')}; local: {cpu('local')}"),
    ]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """The local executor with one torch thread, like one actor (its default is every core)."""
    from iqabench.executors import local

    default = local.scoring_threads
    local.scoring_threads = lambda workers, cores=None: 1
    try:
        yield
    finally:
        local.scoring_threads = default


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
