"""The Ray executor on a local Ray cluster (one ``ray.init(num_cpus=2)`` for the module), with real SQLite
stores and the real NIQE metric (its weights from ../shared): the same scores as the local executor bit
for bit, an actor killed mid-run, a driver killed mid-run, per-image failures, shipped bytes, and the
leaderboard. Skipped, with the reason, without the optional extra ``ray``."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from iqabench import api
from iqabench.cli import main
from iqabench.dataset import Dataset, DatasetCard, Sample
from iqabench.plugins import load_registry
from iqabench.runner import RunOptions, run_metric
from iqabench.store import ScoreStore

from shared_data import SHARED, needs_shared, requires_shared

ray = pytest.importorskip("ray", reason="needs the optional extra ray: pip install -e \".[ray]\"")

from iqabench.executors import RayOptions, make_executor  # noqa: E402
from iqabench.executors import ray_executor  # noqa: E402

pytestmark = pytest.mark.slow
CPU = RunOptions(device="cpu")
#: samples of the default dataset the shorter runs score.
SHORT = 32
#: the batch size (so the task size) the driver-kill test asks for: a task's rows are committed together.
TASK = 8
#: the tests that score read NIQE's official parameters from the shared weights folder.
needs_niqe = needs_shared("weights/pyiqa/niqe_modelparameters.mat")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Ray cluster of 2 CPUs for the module, its actors reading the same settings as this process."""
    data = tmp_path_factory.mktemp("ray") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IQABENCH_DATA", str(data))
        patch.setenv("IQABENCH_OFFLINE", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("IQABENCH_WEIGHTS_DIR", str(SHARED / "weights"))
        ray.init(num_cpus=2, include_dashboard=False, logging_level="warning")
        try:
            yield ray.get_runtime_context().gcs_address
        finally:
            ray.shutdown()


@pytest.fixture(scope="module")
def executor(cluster):
    """One Ray executor for the module (a run that loads the metric it already holds keeps its actors)."""
    chosen = make_executor("ray", RayOptions())
    yield chosen
    chosen.close()


def rows(store_path: Path) -> list[tuple]:
    """Every stored (metric, sample, content hash, score, failure), sorted."""
    with sqlite3.connect(store_path) as conn:
        return sorted(conn.execute("SELECT metric, sample_id, content_hash, score, error FROM scores"))


def score_default(store_path: Path, executor=None, limit: int | None = None, progress=None):
    """NIQE on the default dataset (its first ``limit`` samples) into ``store_path``; the run's summary."""
    options = RunOptions(device="cpu", limit=limit)
    return api.run(["niqe"], "default", store=store_path, options=options, executor=executor, resamples=10,
                   progress=progress).summaries[0]


@pytest.fixture(scope="module")
def local_rows(cluster, tmp_path_factory):
    """The local executor's rows for the whole default dataset (the reference of every comparison)."""
    store = tmp_path_factory.mktemp("local") / "s.sqlite"
    summary = score_default(store)
    assert (summary.scored, summary.failed) == (72, 0)
    return rows(store)


def first(local_rows, count: int) -> list[tuple]:
    """The local rows of the first ``count`` samples of the default dataset."""
    ids = [s.id for s in _default_samples()[:count]]
    return sorted(r for r in local_rows if r[1] in ids)


def _default_samples():
    from iqabench.dataset import open_dataset

    return open_dataset(load_registry().dataset("default"), None).samples


@pytest.mark.parametrize("resources, cpus, gpus, tasks, count", [
    ({"CPU": 2.0}, 1.0, 0.0, None, 2),  # one actor per CPU
    ({"CPU": 2.0}, 1.0, 0.0, 1, 1),  # never more actors than tasks
    ({"CPU": 16.0, "GPU": 1.0}, 1.0, 0.5, None, 2),  # two actors share a GPU
    ({"CPU": 16.0, "GPU": 4.0}, 2.0, 1.0, None, 4),  # one per GPU
])
def test_the_pool_has_one_actor_per_slot(resources, cpus, gpus, tasks, count):
    assert ray_executor.RayExecutor(RayOptions())._count(resources, cpus, gpus, tasks) == count


def test_more_actors_than_the_cluster_holds_is_a_usage_error():
    from iqabench.errors import UsageError

    with pytest.raises(UsageError, match=r"has room for 2 actor\(s\) of 1 CPU each, not 3"):
        ray_executor.RayExecutor(RayOptions(actors=3))._count({"CPU": 2.0}, 1.0, 0.0, None)


@pytest.mark.parametrize("device, asked, available, gpus", [
    ("auto", None, 0.0, 0.0), ("auto", None, 2.0, 1.0), ("cuda", 0.25, 1.0, 0.25), ("cpu", None, 8.0, 0.0),
    ("cuda", None, 0.0, "no GPU"), ("cpu", 1.0, 1.0, "--device is cpu"), ("auto", 2.0, 1.0, "has 1 GPU"),
])
def test_gpus_per_actor(device, asked, available, gpus):
    from iqabench.errors import UsageError

    executor = ray_executor.RayExecutor(RayOptions(gpus_per_actor=asked))
    if isinstance(gpus, str):
        with pytest.raises(UsageError, match=gpus):
            executor._gpus(RunOptions(device=device), available)
    else:
        assert executor._gpus(RunOptions(device=device), available) == gpus


@requires_shared
@needs_niqe
def test_scores_equal_the_local_executors_bit_for_bit(executor, local_rows, tmp_path):
    summary = score_default(tmp_path / "s.sqlite", executor)
    assert (summary.scored, summary.stored, summary.failed) == (72, 0, 0)
    assert summary.device.startswith("ray: 2 actor(s) on cpu, 1 CPU each, 1 node(s)")
    assert rows(tmp_path / "s.sqlite") == local_rows  # same floats, same keys
    assert ScoreStore(tmp_path / "s.sqlite").runs()[0]["device"] == summary.device


class KillOnce:
    """A progress display that kills a process when the first task is committed."""

    def __init__(self, pid: int) -> None:
        self.pid, self.committed = pid, 0

    def add_task(self, description, total):
        return 0

    def advance(self, task, count):
        if not self.committed:
            os.kill(self.pid, signal.SIGKILL)
        self.committed += count


@requires_shared
@needs_niqe
def test_an_actor_killed_mid_run_is_restarted_and_every_sample_is_scored_once(executor, local_rows, tmp_path):
    registry = load_registry()
    # start the pool the run will use (the same metric and settings keep it), to know its processes
    executor.load(registry.metric("niqe"), RunOptions(device="cpu", limit=SHORT), SHORT)
    before = [found["pid"] for found in ray.get([a.load.remote() for a in executor.actors])]
    killer = KillOnce(before[0])
    summary = score_default(tmp_path / "s.sqlite", executor, limit=SHORT, progress=killer)
    after = [found["pid"] for found in ray.get([a.load.remote() for a in executor.actors])]
    assert after[0] != before[0] and after[1] == before[1], "Ray restarted the killed actor only"
    assert (summary.scored, summary.failed, killer.committed) == (SHORT, 0, SHORT)
    stored = rows(tmp_path / "s.sqlite")
    assert stored == first(local_rows, SHORT)  # each sample once, with the local executor's score
    [run] = ScoreStore(tmp_path / "s.sqlite").runs()
    assert (run["status"], run["n_scored"]) == ("completed", SHORT)


def _stored(store_path: Path) -> int:
    try:
        with sqlite3.connect(store_path) as conn:
            return conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@requires_shared
@needs_niqe
def test_a_driver_killed_mid_run_resumes_from_the_store(executor, cluster, local_rows, tmp_path):
    executor.close()  # its actors hold the cluster's CPUs, which the other driver's actors need
    store = tmp_path / "s.sqlite"
    log = open(tmp_path / "driver.log", "w")
    driver = subprocess.Popen(
        [sys.executable, "-m", "iqabench", "run", "-m", "niqe", "-d", "default", "--limit", str(SHORT),
         "--device", "cpu", "--batch-size", str(TASK), "--executor", "ray", "--address", cluster,
         "--store", str(store)],
        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while _stored(store) < TASK and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.05)
    assert driver.poll() is None, f"the driver ended before it could be killed:\n{(tmp_path / 'driver.log').read_text()}"
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    partial = _stored(store)
    assert 0 < partial < SHORT and partial % TASK == 0, "a task's rows are committed together or not at all"

    summary = score_default(store, executor, limit=SHORT)
    assert (summary.scored, summary.stored, summary.failed) == (SHORT - partial, partial, 0)
    assert rows(store) == first(local_rows, SHORT)
    killed, resumed = ScoreStore(store).runs()
    assert killed["status"] == "interrupted" and f"pid {driver.pid}" in killed["error"]
    assert killed["n_scored"] == partial and killed["device"].startswith("ray: 2 actor(s)")
    assert (resumed["status"], resumed["n_stored"], resumed["n_scored"]) == ("completed", partial, SHORT - partial)


def _texture(size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


@requires_shared
@needs_niqe
def test_an_image_the_metric_or_the_decoder_refuses_is_that_images_failure_as_in_a_local_run(executor, tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    Image.fromarray(_texture(128, 0)).save(folder / "a-texture.png")
    Image.fromarray(np.full((128, 128, 3), 128, np.uint8)).save(folder / "b-flat.png")  # NIQE: undefined
    Image.fromarray(_texture(40, 1)).save(folder / "c-small.png")  # below NIQE's 96 pixels
    (folder / "d-truncated.png").write_bytes((folder / "a-texture.png").read_bytes()[:300])
    Image.fromarray(_texture(160, 2)).save(folder / "e-texture.png")
    paths = sorted(folder.iterdir())
    dataset = Dataset(DatasetCard(name="toy", format="folder"), folder, [Sample(p.name, p) for p in paths], [])
    niqe = load_registry().metric("niqe")
    found = {}
    for name, chosen in (("local", None), ("ray", executor)):
        with ScoreStore(tmp_path / f"{name}.sqlite") as store:
            summary = run_metric(niqe, dataset, store, CPU, executor=chosen)
        assert (summary.scored, summary.failed) == (2, 3)
        found[name] = rows(tmp_path / f"{name}.sqlite")
    assert found["ray"] == found["local"]
    assert [r[1] for r in found["ray"] if r[4] is not None] == ["b-flat.png", "c-small.png", "d-truncated.png"]


@requires_shared
@needs_niqe
def test_shipped_bytes_give_the_same_scores_as_paths(executor, local_rows, tmp_path, monkeypatch):
    monkeypatch.setattr(ray_executor.transport, "choose", lambda *args: True)  # as if no actor saw the files
    summary = score_default(tmp_path / "s.sqlite", executor, limit=8)
    assert (summary.scored, summary.failed) == (8, 0)
    assert rows(tmp_path / "s.sqlite") == first(local_rows, 8)


@requires_shared
@needs_niqe
def test_an_actor_whose_metric_differs_from_the_drivers_refuses_to_score(executor, tmp_path):
    from iqabench.errors import IqabenchError

    niqe = load_registry().metric("niqe")
    changed = type("ChangedNiqe", (type(niqe),), {"version": "driver-only"})()  # as if the driver had another version
    dataset = Dataset(DatasetCard(name="toy", format="folder"), tmp_path, _default_samples()[:2], [])
    with ScoreStore(tmp_path / "s.sqlite") as store, pytest.raises(IqabenchError, match="not the driver's") as raised:
        run_metric(changed, dataset, store, CPU, executor=executor)
    assert "install the same versions of iqabench and its plugins on every node" in str(raised.value)
    assert executor.actors == [], "the refused pool is stopped"
    assert rows(tmp_path / "s.sqlite") == []


SUITE = """
title = "one fast metric on eight images"
device = "cpu"

[[datasets]]
name = "default"
limit = 8
metrics = ["pyiqa:psnr"]
"""


def test_leaderboard_with_the_ray_executor_writes_what_the_local_one_does(executor, tmp_path):
    pytest.importorskip("pyiqa", reason="the suite scores with pyiqa's PSNR (the pyiqa extra)")
    executor.close()  # the command's own executor starts actors on the module's cluster
    built = {}
    for name in ("local", "ray"):
        out = tmp_path / name
        (out / "suites").mkdir(parents=True)
        (out / "suites" / "small.toml").write_text(SUITE)
        result = CliRunner().invoke(main, ["leaderboard", "--suite", "small", "--out", str(out), "--store",
                                           str(out / "s.sqlite"), "--executor", name])
        assert result.exit_code == 0, result.output
        built[name] = ((out / "small" / "default.csv").read_text(), rows(out / "s.sqlite"))
        device = ScoreStore(out / "s.sqlite").runs()[0]["device"]
        assert device.startswith("ray: ") == (name == "ray"), device
    assert built["ray"] == built["local"]  # the same table, from the same scores
