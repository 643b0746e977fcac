"""The runner on real image files and a real SQLite store: resume, failures, missing images, SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from iqabench.dataset import Dataset, DatasetCard, Sample
from iqabench.errors import DatasetError
from iqabench.runner import RunOptions, default_workers, run_metric, scoring_threads
from iqabench.store import ScoreKey, ScoreStore

from toy_metrics import AbsDifference, MeanIntensity, NanForDark, RaisesOnWide, write_images

CARD = DatasetCard(name="toy", format="folder", kind="FR", mos_range=(0, 1))
OPTIONS = RunOptions(device="cpu", num_workers=0)


def make_dataset(paths, missing=(), refs=None) -> Dataset:
    samples = [Sample(p.name, p, ref_path=refs[i] if refs else None, mos=i / len(paths)) for i, p in enumerate(paths)]
    missing_samples = [Sample(name, Path("/nonexistent") / name) for name in missing]
    return Dataset(card=CARD, root=paths[0].parent, samples=samples, missing=missing_samples)


def scores_of(store: ScoreStore, metric, dataset) -> dict[str, float]:
    """sample id -> stored score of ``metric``'s current identity."""
    identity = metric.identity()
    key = ScoreKey(metric.name, identity.config_hash, identity.weights_hash, dataset.name)
    return {sid: row.score for (sid, _), row in store.stored(key).items() if row.score is not None}


def score_rows(store_path):
    conn = sqlite3.connect(store_path)
    return sorted(conn.execute("SELECT metric, sample_id, content_hash, score, error FROM scores").fetchall())


def test_a_rerun_computes_nothing(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 7))
    with ScoreStore(tmp_path / "s.sqlite") as store:
        first = run_metric(MeanIntensity(), dataset, store, OPTIONS)
        again = run_metric(MeanIntensity(), dataset, store, OPTIONS)
    assert (first.scored, first.stored, first.failed) == (7, 0, 0)
    assert (again.scored, again.stored, again.failed) == (0, 7, 0)
    assert again.run_id is None  # nothing to score: no run is recorded
    runs = ScoreStore(tmp_path / "s.sqlite").runs()
    assert [(r["status"], r["n_scored"], r["n_stored"]) for r in runs] == [("completed", 7, 0)]


class CountsLoads(MeanIntensity):
    name = "counts-loads"
    loads = 0

    def load(self, device):
        type(self).loads += 1


def test_resuming_a_finished_run_loads_no_model(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 4))
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run_metric(CountsLoads(), dataset, store, OPTIONS)
        assert CountsLoads.loads == 1
        again = run_metric(CountsLoads(), dataset, store, OPTIONS)
    assert CountsLoads.loads == 1 and again.stored == 4


def test_moving_a_metric_class_keeps_its_stored_scores(tmp_path):
    """Identity is declared (name, version, parameters), not derived from where the class lives."""
    dataset = make_dataset(write_images(tmp_path / "img", 3))
    moved = type("MeanIntensity", (MeanIntensity,), {"__module__": "somewhere.else.entirely"})
    assert moved().config_hash() == MeanIntensity().config_hash()
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run_metric(MeanIntensity(), dataset, store, OPTIONS)
        again = run_metric(moved(), dataset, store, OPTIONS)
    assert (again.scored, again.stored) == (0, 3)


def test_a_changed_parameter_or_version_is_scored_again(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 3))
    bumped = type("MeanIntensity", (MeanIntensity,), {"version": "2"})
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run_metric(MeanIntensity(), dataset, store, OPTIONS)
        again = run_metric(bumped(), dataset, store, OPTIONS)
    assert (again.scored, again.stored) == (3, 0)


def test_a_changed_image_is_scored_again(tmp_path):
    paths = write_images(tmp_path / "img", 3)
    dataset = make_dataset(paths)
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run_metric(MeanIntensity(), dataset, store, OPTIONS)
        write_images(tmp_path / "other", 1, size=(20, 20))[0].replace(paths[1])
        again = run_metric(MeanIntensity(), dataset, store, OPTIONS)
    assert (again.scored, again.stored) == (1, 2)


def test_nan_is_a_failure_never_a_score(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 10))
    with ScoreStore(tmp_path / "s.sqlite") as store:
        summary = run_metric(NanForDark(), dataset, store, OPTIONS)
    assert summary.failed > 0 and summary.scored > 0 and summary.failed + summary.scored == 10
    assert all("non-finite" in reason for _, reason in summary.failures)
    rows = score_rows(tmp_path / "s.sqlite")
    assert all((score is None) == (error is not None) for *_, score, error in rows)
    assert len(rows) == 10


def test_a_batch_that_raises_is_retried_image_by_image(tmp_path):
    tall = write_images(tmp_path / "img", 6, size=(50, 40))
    wide = [path.rename(path.with_name("wide.png")) for path in write_images(tmp_path / "wide", 1, size=(30, 60))]
    dataset = make_dataset(tall[:3] + wide + tall[3:])
    with ScoreStore(tmp_path / "s.sqlite") as store:
        summary = run_metric(RaisesOnWide(), dataset, store, OPTIONS)
    assert (summary.scored, summary.failed) == (6, 1)
    assert summary.failures == [("wide.png", "RuntimeError: cannot handle wide image (3, 30, 60)")]


def committed_score_rows(store: ScoreStore) -> list[int]:
    """Start counting, on ``store``'s connection, the score rows each committed transaction writes; returns the
    list the counts go to (transactions that write no score are left out)."""
    committed, current = [], None

    def trace(statement: str) -> None:
        nonlocal current
        if statement.startswith("BEGIN"):
            current = 0
        elif statement == "COMMIT":
            if current:
                committed.append(current)
            current = None
        elif current is not None and statement.startswith("INSERT INTO scores"):
            current += 1  # executemany reports each row it inserts

    store.conn.set_trace_callback(trace)
    return committed


def test_each_batch_is_committed_in_one_transaction_with_all_its_rows(tmp_path):
    """Seven images in batches of three: three commits of 3, 3 and 1 rows. A batch committed row by row
    scores the same, so only the commits tell it apart (and a SIGKILL would then leave part of a batch)."""
    dataset = make_dataset(write_images(tmp_path / "img", 7))
    with ScoreStore(tmp_path / "s.sqlite") as store:
        committed = committed_score_rows(store)
        summary = run_metric(MeanIntensity(), dataset, store, RunOptions(device="cpu", num_workers=0, batch_size=3))
    assert summary.scored == 7
    assert committed == [3, 3, 1]


def test_a_stored_failure_counts_until_retried(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 6))
    with ScoreStore(tmp_path / "s.sqlite") as store:
        first = run_metric(NanForDark(), dataset, store, OPTIONS)
        again = run_metric(NanForDark(), dataset, store, OPTIONS)
        assert (again.scored, again.failed, again.stored) == (0, first.failed, 6 - first.failed)
        assert all("stored by an earlier run" in reason for _, reason in again.failures)
        retried = run_metric(NanForDark(), dataset, store, RunOptions(device="cpu", num_workers=0, retry_failed=True))
        assert retried.failed == first.failed and retried.stored == 6 - first.failed


def test_missing_images_stop_the_run_unless_allowed(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 3), missing=["gone1.png", "gone2.png"])
    with ScoreStore(tmp_path / "s.sqlite") as store:
        with pytest.raises(DatasetError, match=r"2 of 5 images .* missing .*gone1.png, gone2.png.*--allow-missing"):
            run_metric(MeanIntensity(), dataset, store, OPTIONS)
        summary = run_metric(MeanIntensity(), dataset, store, RunOptions(device="cpu", num_workers=0, allow_missing=True))
    assert (summary.scored, summary.missing, summary.total) == (3, 2, 5)


def test_full_reference_metric_gets_its_reference(tmp_path):
    refs = write_images(tmp_path / "ref", 3)
    dists = write_images(tmp_path / "dist", 3, size=(40, 48))
    dataset = make_dataset(dists, refs=refs)
    with ScoreStore(tmp_path / "s.sqlite") as store:
        summary = run_metric(AbsDifference(), dataset, store, OPTIONS)
        assert summary.scored == 3 and set(scores_of(store, AbsDifference(), dataset).values()) == {0.0}


def test_replacing_a_reference_rescores_a_full_reference_metric_only(tmp_path):
    refs = write_images(tmp_path / "ref", 3)
    dists = write_images(tmp_path / "dist", 3, size=(40, 48))
    dataset = make_dataset(dists, refs=refs)
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run_metric(AbsDifference(), dataset, store, OPTIONS)
        run_metric(MeanIntensity(), dataset, store, OPTIONS)
        write_images(tmp_path / "other", 3)[0].replace(refs[1])  # another picture, same name and size
        dataset = make_dataset(dists, refs=refs)
        full_reference = run_metric(AbsDifference(), dataset, store, OPTIONS)
        no_reference = run_metric(MeanIntensity(), dataset, store, OPTIONS)
    assert (full_reference.scored, full_reference.stored) == (1, 2)
    assert (no_reference.scored, no_reference.stored) == (0, 3)


def test_decoding_in_worker_processes_gives_the_same_scores(tmp_path):
    dataset = make_dataset(write_images(tmp_path / "img", 9))
    with ScoreStore(tmp_path / "a.sqlite") as store:
        run_metric(MeanIntensity(), dataset, store, OPTIONS)
        inline = scores_of(store, MeanIntensity(), dataset)
    with ScoreStore(tmp_path / "b.sqlite") as store:
        run_metric(MeanIntensity(), dataset, store, RunOptions(device="cpu", num_workers=2))
        workers = scores_of(store, MeanIntensity(), dataset)
    assert workers == inline and len(inline) == 9


DRIVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from iqabench.dataset import Dataset, DatasetCard, Sample
    from iqabench.runner import RunOptions, run_metric
    from iqabench.store import ScoreKey, ScoreStore
    from toy_metrics import MeanIntensity

    images, store_path, sleep = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    paths = sorted(images.glob("*.png"))
    card = DatasetCard(name="toy", format="folder")
    dataset = Dataset(card, images, [Sample(p.name, p) for p in paths], [])
    with ScoreStore(store_path) as store:
        run_metric(MeanIntensity(sleep), dataset, store, RunOptions(device="cpu", num_workers=1, batch_size=2))
    """
)


def _driver(tmp_path, store, sleep):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "img"), str(store), str(sleep)], env=env)


def _stored_count(store) -> int:
    try:
        return sqlite3.connect(store).execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_sigkill_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path):
    write_images(tmp_path / "img", 30)
    killed_store = tmp_path / "killed.sqlite"
    process = _driver(tmp_path, killed_store, sleep=0.15)
    deadline = time.monotonic() + 120
    while _stored_count(killed_store) < 6 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed; make the toy metric slower"
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = _stored_count(killed_store)
    assert 0 < partial < 30
    assert partial % 2 == 0, "a batch of two is committed whole or not at all"

    assert _driver(tmp_path, killed_store, sleep=0.0).wait(120) == 0
    clean_store = tmp_path / "clean.sqlite"
    assert _driver(tmp_path, clean_store, sleep=0.0).wait(120) == 0

    assert score_rows(killed_store) == score_rows(clean_store)
    assert len(score_rows(killed_store)) == 30
    runs = ScoreStore(killed_store).runs()
    # the killed run never reached its end; the next run found its process gone and said so
    assert [r["status"] for r in runs] == ["interrupted", "completed"]
    assert runs[0]["pid"] == process.pid and f"pid {process.pid}" in runs[0]["error"]
    assert runs[0]["n_scored"] == partial  # the rows it wrote
    assert runs[1]["n_stored"] == partial and runs[1]["n_scored"] == 30 - partial


@pytest.mark.parametrize("cores", [1, 2, 3, 4, 8, 16, 64])
def test_defaults_never_run_more_threads_and_decoders_than_cores(cores):
    """Decoding workers (one thread each) plus torch's scoring threads never oversubscribe the cores."""
    workers = default_workers(cores)
    assert workers + scoring_threads(workers, cores) <= cores
    assert workers == 0 if cores < 4 else workers >= 1


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="the system cannot pin a process to cores")
def test_a_process_pinned_to_one_core_scores_with_one_thread():
    """The defaults count the cores the process may use (taskset, a container's cpuset), not the machine's."""
    code = (
        "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]});"
        "from iqabench.runner import default_workers, scoring_threads;"
        "w = default_workers(); print(w, scoring_threads(w))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1"]
