"""The score store and the runs that write to it, each under a real fault: files that go away or cannot be read
between listing and hashing, a damaged store, read-only media, a full disk (SQLite's own page limit),
SIGKILL of a real run, decoded pixels per batch, and two real runs on one store at once."""

import csv
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from iqabench import settings
from iqabench.dataset import Dataset, DatasetCard, DatasetSpec, ReadResult, Sample, open_dataset
from iqabench.errors import UsageError
from iqabench.runner import RunOptions, hash_samples, run_metric
from iqabench.settings import batch_pixels
from iqabench.store import SCHEMA_VERSION, UNREADABLE, ScoreKey, ScoreStore, StoreError
from iqabench.testing import install_entry_point

from toy_metrics import AbsDifference, MeanIntensity, write_images

OPTIONS = RunOptions(device="cpu", num_workers=0)
NR_CARD = DatasetCard(name="toy", format="folder")
FR_CARD = DatasetCard(name="toy-fr", format="folder", kind="FR")

#: a metric plugin for the command-line tests: mean of the pixels; sleeps per batch as long as the file
#: named by $HOLD exists, then $SLOW seconds, so a test can kill a run, or start a second one, mid-way.
SLOW_PLUGIN = """
import os
import time

import iqabench


class SlowMean(iqabench.Metric):
    name = "slow-mean"
    batch_size = 2

    def score_batch(self, images, refs=None):
        hold = os.environ.get("HOLD")
        deadline = time.monotonic() + 120
        while hold and os.path.exists(hold) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(float(os.environ.get("SLOW", "0")))
        return [float(image.mean()) for image in images]


@iqabench.hookimpl
def register_metrics(register):
    register(SlowMean())
"""


def listed(root: Path, card: DatasetCard = NR_CARD, refs: Path | None = None, **options) -> Dataset:
    """The PNG files under ``root`` opened as a dataset by :func:`open_dataset` (one real ``stat`` per file,
    kept for hashing), with the same-named file under ``refs`` as reference when given."""

    def reader(card, root, options):
        return ReadResult([Sample(p.relative_to(root).as_posix(), p, ref_path=refs / p.name if refs else None, mos=i / 10)
                           for i, p in enumerate(sorted(root.rglob("*.png")))])

    return open_dataset(DatasetSpec(card, reader), root, options)


def adds_up(summary) -> bool:
    return summary.scored + summary.stored + summary.missing + summary.failed == summary.total


@contextmanager
def time_limit(seconds: int):
    """Fail instead of hanging (reading a FIFO with no writer would block forever)."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli(*args, site=None, env=None, wrapper=(), timeout=600, wait=True):
    environment = dict(os.environ, COLUMNS="200", IQABENCH_OFFLINE="1")
    if site is not None:
        environment["PYTHONPATH"] = os.pathsep.join([str(site), environment.get("PYTHONPATH", "")])
    environment.update(env or {})
    command = [*wrapper, sys.executable, "-m", "iqabench", *args]
    if not wait:
        return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=timeout)


def rows_of(store: Path, sql: str, params=()):
    conn = sqlite3.connect(store)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        conn.close()


def stored_rows(store: Path) -> int:
    found = rows_of(store, "SELECT COUNT(*) FROM scores")
    return found[0][0] if found else 0


def wait_for(condition, seconds: float = 180, process=None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the run ended early ({process.returncode}):\n{out}\n{err}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- a file that cannot be read when the run hashes it --------------------------------------------------------
def test_a_file_deleted_between_listing_and_hashing_fails_alone(tmp_path):
    paths = write_images(tmp_path / "img", 6)
    dataset = listed(tmp_path / "img")
    paths[2].unlink()  # after open_dataset listed it (and took its stat), before the run hashes it
    with ScoreStore(tmp_path / "s.sqlite") as store:
        hashes = hash_samples(store, dataset, dataset.samples)
        labels_id = store.put_label_set(dataset, hashes)
        summary = run_metric(MeanIntensity(), dataset, store, OPTIONS, hashes=hashes, labels_id=labels_id)
        [(sid, reason)] = summary.failures
        assert sid == "img002.png" and reason.startswith("deleted while the run was starting")
        assert (summary.scored, summary.failed, summary.total) == (5, 1, 6) and adds_up(summary)
        # the failure is in the store with its reason, and the label set counts it
        identity = MeanIntensity().identity()
        rows = store.current_scores("toy", labels_id, "mean-intensity", identity.config_hash, identity.weights_hash)
        assert [(r["sample_id"], r["error"]) for r in rows if r["error"]] == [("img002.png", reason)]
        assert [r["status"] for r in store.runs()] == ["completed"]

        # back again: scored, and the failure no longer counts on the new label set
        write_images(tmp_path / "again", 6)[2].replace(paths[2])
        dataset = listed(tmp_path / "img")
        hashes = hash_samples(store, dataset, dataset.samples)
        labels_id = store.put_label_set(dataset, hashes)
        again = run_metric(MeanIntensity(), dataset, store, OPTIONS, hashes=hashes, labels_id=labels_id)
        assert (again.scored, again.stored, again.failed) == (1, 5, 0)
        rows = store.current_scores("toy", labels_id, "mean-intensity", identity.config_hash, identity.weights_hash)
        assert len(rows) == 6 and all(r["error"] is None for r in rows)


@pytest.mark.parametrize("fault", ["fifo", "directory", "parent-is-a-file", "io-error"])
def test_a_file_replaced_after_listing_is_a_failure_with_its_reason(tmp_path, fault):
    write_images(tmp_path / "img" / "sub", 1)
    paths = write_images(tmp_path / "img", 4)
    victim = tmp_path / "img" / "sub" / "img000.png"
    if fault == "io-error":
        if not os.path.isfile("/proc/self/mem"):
            pytest.skip("needs Linux's /proc/self/mem (reading its offset 0 is a real EIO)")
        victim.unlink()
        victim.symlink_to("/proc/self/mem")  # a regular file of size 0 whose read fails with EIO
    dataset = listed(tmp_path / "img", allow_outside_root=fault == "io-error")
    if fault == "fifo":
        victim.unlink()
        os.mkfifo(victim)
    elif fault == "directory":
        victim.unlink()
        victim.mkdir()
    elif fault == "parent-is-a-file":
        shutil.rmtree(victim.parent)
        victim.parent.write_bytes(b"a file where a folder was")
    expected = {"fifo": "not an image file: a FIFO (named pipe) replaced the file",
                "directory": "not an image file: a directory replaced the file",
                "parent-is-a-file": "deleted while the run was starting",
                "io-error": "cannot read the file: Input/output error (errno 5)"}[fault]
    with ScoreStore(tmp_path / "s.sqlite") as store, time_limit(60):
        summary = run_metric(MeanIntensity(), dataset, store, OPTIONS)
    failures = dict(summary.failures)
    assert list(failures) == ["sub/img000.png"] and failures["sub/img000.png"].startswith(expected), failures
    assert (summary.scored, summary.failed) == (len(paths), 1) and adds_up(summary)


def test_an_unreadable_reference_fails_the_full_reference_metric_only(tmp_path):
    refs = write_images(tmp_path / "ref", 3)
    write_images(tmp_path / "img", 3)
    dataset = listed(tmp_path / "img", FR_CARD, refs=tmp_path / "ref", allow_outside_root=True)
    refs[1].unlink()
    with ScoreStore(tmp_path / "s.sqlite") as store:
        hashes = hash_samples(store, dataset, dataset.samples)
        full_reference = run_metric(AbsDifference(), dataset, store, OPTIONS, hashes=hashes)
        no_reference = run_metric(MeanIntensity(), dataset, store, OPTIONS, hashes=hashes)
    assert (full_reference.scored, full_reference.failed) == (2, 1)
    assert full_reference.failures[0][1].startswith("its reference image: deleted while the run was starting")
    assert (no_reference.scored, no_reference.failed) == (3, 0)


def test_unreadable_files_alone_load_no_model_and_are_recorded_again_when_the_reason_changes(tmp_path):
    class NeverLoads(MeanIntensity):
        name = "never-loads"

        def load(self, device):
            raise AssertionError("nothing can be scored: the model must not be loaded")

    paths = write_images(tmp_path / "img", 2)
    dataset = listed(tmp_path / "img")
    for path in paths:
        path.unlink()
    with ScoreStore(tmp_path / "s.sqlite") as store:
        first = run_metric(NeverLoads(), dataset, store, OPTIONS)
        paths[0].mkdir()
        again = run_metric(NeverLoads(), dataset, store, OPTIONS)
        assert (first.failed, again.failed, again.stored) == (2, 2, 0)
        assert dict(again.failures)["img000.png"].startswith("not an image file: a directory")
        assert [(r["n_scored"], r["n_failed"], r["device"]) for r in store.runs()] == [
            (0, 2, "none (nothing to score)")] * 2
        identity = NeverLoads().identity()
        key = ScoreKey("never-loads", identity.config_hash, identity.weights_hash, "toy")
        assert {row.content_hash for row in store.stored(key).values()} == {UNREADABLE}
        third = run_metric(NeverLoads(), dataset, store, OPTIONS)  # nothing changed: nothing written, no run
        assert (third.failed, third.run_id) == (2, None) and len(store.runs()) == 2
        assert sorted(third.failures) == sorted(again.failures)


def _can_drop_root_read_rights(folder: Path) -> bool:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return False
    probe = folder / "probe"
    probe.write_bytes(b"x")
    probe.chmod(0)
    try:
        return subprocess.run([*DROP_READ_RIGHTS, "cat", str(probe)], capture_output=True).returncode != 0
    finally:
        probe.unlink()


#: root without the capabilities that let it read any file: permissions apply to it as to anyone.
DROP_READ_RIGHTS = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


@pytest.mark.slow
def test_permission_denied_is_a_failure_of_that_image(tmp_path):
    if not _can_drop_root_read_rights(tmp_path):
        pytest.skip("needs root and setpriv, to run iqabench without the right to read any file")
    site = install_entry_point(tmp_path, "iqabench", "slow", SLOW_PLUGIN)
    paths = write_images(tmp_path / "img", 4)
    paths[1].chmod(0)
    store = tmp_path / "s.sqlite"
    result = cli("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img"), "--store", str(store),
                 site=site, wrapper=DROP_READ_RIGHTS)
    assert result.returncode == 1, result.stderr  # completed, with a failure
    assert "slow-mean: 3 scored now, 0 stored, 0 missing, 1 failed" in result.stdout
    assert "permission denied" in result.stderr
    [(sid, content, error)] = rows_of(store, "SELECT sample_id, content_hash, error FROM scores WHERE error IS NOT NULL")
    assert (sid, content) == ("img001.png", UNREADABLE) and error.startswith("permission denied")


# -- faults of the store itself -----------------------------------------------------------------------------
def _filled_store(path: Path, rows: int = 3000) -> None:
    key = ScoreKey("m", "c", "w", "d")
    with ScoreStore(path) as store:
        run = store.begin_run(key, metric_config={}, weights={}, dataset_root="/", device="cpu", host="h",
                              versions={})
        for start in range(0, rows, 500):
            store.add_scores(key, run, [(f"sample-{i:06d}", "h" * 64, float(i), None, 0.0)
                                        for i in range(start, min(start + 500, rows))])
        store.end_run(run, status="completed", total=rows, scored=rows, stored=0, missing=0, failed=0)


@pytest.mark.parametrize("damage", ["garbage", "truncated-header", "truncated-half", "empty-pages"])
def test_a_damaged_store_is_a_store_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "s.sqlite"
    _filled_store(path)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "truncated-header":
        path.write_bytes(data[:60])
    elif damage == "truncated-half":
        path.write_bytes(data[:len(data) // 2])
    else:  # the pages after the first zeroed: the header is intact, the tables are not
        path.write_bytes(data[:4096] + bytes(len(data) - 4096))
    with pytest.raises(StoreError) as raised:
        with ScoreStore(path) as store:
            store.export_csv(io.StringIO())
    assert str(path) in str(raised.value) and "damaged or is not an SQLite database" in str(raised.value)
    assert ".recover" in str(raised.value)
    with pytest.raises(StoreError, match="damaged"):
        with ScoreStore(path, readonly=True) as store:
            store.export_csv(io.StringIO())


def test_another_sqlite_database_is_not_taken_for_a_store(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (name TEXT)")
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not an iqabench score store"):
            ScoreStore(path, readonly=readonly)
    assert rows_of(path, "SELECT name FROM sqlite_master") == [("photos",)]  # left as it was


@pytest.mark.slow
def test_the_command_line_says_what_to_do_with_a_damaged_store(tmp_path):
    site = install_entry_point(tmp_path, "iqabench", "slow", SLOW_PLUGIN)
    write_images(tmp_path / "img", 2)
    store = tmp_path / "s.sqlite"
    store.write_bytes(b"this is not a database, it is a shopping list\n" * 200)
    for args in (("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img")), ("export",)):
        result = cli(*args, "--store", str(store), site=site)
        assert result.returncode == 3, (args, result.stderr)
        message = " ".join(result.stderr.split())
        assert str(store) in message and "damaged or is not an SQLite database" in message, message
        assert "Traceback" not in result.stderr


def test_a_read_only_store_reads_writes_nothing_and_refuses_a_write(tmp_path):
    path = tmp_path / "s.sqlite"
    _filled_store(path, rows=10)
    before = path.read_bytes()
    with ScoreStore(path, readonly=True) as store:
        out = io.StringIO()
        assert store.export_csv(out) == 10
        key = ScoreKey("m", "c", "w", "d")
        with pytest.raises(StoreError, match="opened for reading only"):
            store.add_scores(key, 1, [("new", "h", 1.0, None, 0.0)])
        with pytest.raises(StoreError, match="opened for reading only"):
            store.begin_run(key, metric_config={}, weights={}, dataset_root="/", device="cpu", host="h", versions={})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]  # no -wal, no -shm left
    assert path.read_bytes() == before
    with pytest.raises(StoreError, match="no score store"):
        ScoreStore(tmp_path / "absent.sqlite", readonly=True)
    assert not (tmp_path / "absent.sqlite").exists()


def _read_only_mount() -> list[str] | None:
    """A command prefix that runs a command with ``$RO`` bind-mounted read-only (a real read-only file
    system, in a mount namespace of its own); None where that is not possible."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return None
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp /tmp"],
                           capture_output=True)
    if probe.returncode != 0:
        return None
    return ["unshare", "-m", "sh", "-c", 'mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" "$RO" && exec "$@"',
            "read-only"]


@pytest.mark.slow
def test_export_reads_a_store_on_read_only_media_and_run_says_why_it_cannot_write(tmp_path):
    wrapper = _read_only_mount()
    if wrapper is None:
        pytest.skip("needs unshare and mount (a read-only bind mount) to put the store on read-only media")
    site = install_entry_point(tmp_path, "iqabench", "slow", SLOW_PLUGIN)
    write_images(tmp_path / "img", 3)
    media = tmp_path / "media"
    media.mkdir()
    store = media / "s.sqlite"
    made = cli("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img"), "--store", str(store),
               site=site)
    assert made.returncode == 0, made.stderr
    before = sorted(p.name for p in media.iterdir())
    assert before == ["s.sqlite"]

    env = {"RO": str(media)}
    exported = cli("export", "--store", str(store), site=site, env=env, wrapper=wrapper)
    assert exported.returncode == 0, exported.stderr
    assert len(list(csv.DictReader(io.StringIO(exported.stdout)))) == 3

    again = cli("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img"), "--store", str(store),
                site=site, env=env, wrapper=wrapper)
    assert again.returncode == 3, again.stderr
    message = " ".join(again.stderr.split())
    assert f"cannot write the score store {store}" in message and "read-only media" in message, message
    assert "Traceback" not in again.stderr
    assert sorted(p.name for p in media.iterdir()) == before


def test_a_full_disk_marks_the_run_failed_and_a_rerun_resumes(tmp_path):
    write_images(tmp_path / "img", 60)
    dataset = listed(tmp_path / "img")
    path = tmp_path / "s.sqlite"
    with ScoreStore(path) as store:
        hashes = hash_samples(store, dataset, dataset.samples)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count={pages + 1}")  # SQLite's SQLITE_FULL once the file must grow
        with pytest.raises(StoreError) as raised:
            run_metric(MeanIntensity(), dataset, store, OPTIONS, hashes=hashes)
    message = str(raised.value)
    assert f"the disk holding the score store {path} is full" in message
    assert "run the same command again" in message and "resumes where it stopped" in message
    with ScoreStore(path) as store:
        [run] = store.runs()
        assert run["status"] == "failed" and "is full" in run["error"] and run["ended_at"]
        identity = MeanIntensity().identity()
        kept = len(store.stored(ScoreKey("mean-intensity", identity.config_hash, identity.weights_hash, "toy")))
        assert run["n_scored"] == kept < 60
        again = run_metric(MeanIntensity(), dataset, store, OPTIONS)
    assert (again.scored, again.stored) == (60 - kept, kept) and adds_up(again)


#: the schema of iqabench stores before runs recorded their process (schema 2).
SCHEMA_2_RUNS = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
    metric TEXT NOT NULL, config_hash TEXT NOT NULL, metric_config TEXT NOT NULL, weights_hash TEXT NOT NULL,
    weights TEXT NOT NULL, dataset TEXT NOT NULL, dataset_root TEXT NOT NULL, labels_id TEXT, device TEXT NOT NULL,
    host TEXT NOT NULL, versions TEXT NOT NULL, n_total INTEGER, n_scored INTEGER, n_stored INTEGER,
    n_missing INTEGER, n_failed INTEGER);
"""


def test_a_store_of_schema_2_is_migrated_keeping_every_row(tmp_path):
    path = tmp_path / "s.sqlite"
    _filled_store(path, rows=20)
    conn = sqlite3.connect(path)  # rebuild runs as schema 2 had it, and say so
    runs = conn.execute("SELECT id, started_at, ended_at, status, metric, config_hash, metric_config, weights_hash,"
                        " weights, dataset, dataset_root, labels_id, device, host, versions, n_total, n_scored,"
                        " n_stored, n_missing, n_failed FROM runs").fetchall()
    conn.executescript("DROP TABLE runs; DROP TABLE claims;" + SCHEMA_2_RUNS)
    conn.executemany(f"INSERT INTO runs VALUES ({','.join('?' * 20)})", runs)
    conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with ScoreStore(path, readonly=True) as store:  # read as it is, not migrated
        assert len(store.per_image()) == 20
    assert rows_of(path, "SELECT value FROM meta WHERE key='schema_version'") == [("2",)]
    with ScoreStore(path) as store:
        [run] = store.runs()
        assert (run["status"], run["n_scored"], run["pid"], run["error"]) == ("completed", 20, None, None)
        assert len(store.per_image()) == 20
    assert rows_of(path, "SELECT value FROM meta WHERE key='schema_version'") == [(str(SCHEMA_VERSION),)]
    assert rows_of(path, "SELECT COUNT(*) FROM claims") == [(0,)]


@pytest.mark.slow
def test_a_run_killed_with_sigkill_is_marked_interrupted_by_the_next_run(tmp_path):
    site = install_entry_point(tmp_path, "iqabench", "slow", SLOW_PLUGIN)
    write_images(tmp_path / "img", 30)
    store = tmp_path / "s.sqlite"
    args = ("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img"), "--store", str(store))
    killed = cli(*args, site=site, env={"SLOW": "0.2"}, wait=False)
    wait_for(lambda: stored_rows(store) >= 4, process=killed)
    killed.send_signal(signal.SIGKILL)
    killed.communicate()
    [(status, pid)] = rows_of(store, "SELECT status, pid FROM runs")
    assert (status, pid) == ("running", killed.pid)
    assert rows_of(store, "SELECT COUNT(*) FROM claims WHERE run_id=1")[0][0] > 0  # it held claims when killed
    partial = stored_rows(store)

    started = time.monotonic()
    rerun = cli(*args, site=site)
    assert rerun.returncode == 0, rerun.stderr
    assert time.monotonic() - started < 300, "the dead run's claims were waited out instead of dropped"
    assert f"slow-mean: {30 - partial} scored now, {partial} stored, 0 missing, 0 failed" in rerun.stdout
    first, second = ScoreStore(store, readonly=True).runs()
    assert first["status"] == "interrupted" and first["ended_at"]
    assert f"pid {killed.pid}" in first["error"] and "killed" in first["error"]
    assert first["n_scored"] == partial
    assert (second["status"], second["n_scored"], second["n_stored"]) == ("completed", 30 - partial, partial)
    assert rows_of(store, "SELECT COUNT(*) FROM claims") == [(0,)]


# -- decoded pixels per batch ------------------------------------------------------------------------------
class RecordsBatches(MeanIntensity):
    name = "records-batches"
    batch_size = 8

    def __init__(self):
        super().__init__()
        self.batches = []

    def score_batch(self, images, refs=None):
        self.batches.append([tuple(image.shape[-2:]) for image in images])
        return super().score_batch(images, refs)


def test_a_batch_is_cut_before_its_decoded_pixels_pass_the_budget(tmp_path, monkeypatch):
    write_images(tmp_path / "img", 10, size=(40, 50))  # 2,000 pixels each
    dataset = listed(tmp_path / "img")

    stores = iter(range(100))

    def batches(options=OPTIONS, **overrides):
        metric = RecordsBatches()
        with settings.overrides(**overrides), ScoreStore(tmp_path / f"{next(stores)}.sqlite") as store:
            summary = run_metric(metric, dataset, store, options)
        assert summary.scored == 10
        return [len(batch) for batch in metric.batches]

    assert batches() == [8, 2]  # the default budget (2 × 100 megapixels) never cuts small images
    assert batches(max_pixels=2_500) == [2] * 5  # 2 × max_pixels = 5,000: two images a batch
    monkeypatch.setenv("IQABENCH_BATCH_PIXELS", "6000")
    assert batch_pixels() == 6000
    assert batches() == [3, 3, 3, 1]
    assert batches(RunOptions(device="cpu", num_workers=0, batch_pixels=100)) == [1] * 10  # larger: alone
    monkeypatch.setenv("IQABENCH_BATCH_PIXELS", "lots")
    with pytest.raises(UsageError, match="IQABENCH_BATCH_PIXELS='lots'"):
        batch_pixels()


def test_references_count_in_the_budget_and_workers_cut_the_same(tmp_path):
    refs = write_images(tmp_path / "ref", 6, size=(40, 50))
    write_images(tmp_path / "img", 6, size=(40, 50))
    dataset = listed(tmp_path / "img", FR_CARD, refs=tmp_path / "ref", allow_outside_root=True)

    class RecordsPairs(AbsDifference):
        batch_size = 8
        batches = []

        def score_batch(self, images, refs=None):
            type(self).batches.append(len(images))
            return super().score_batch(images, refs)

    with ScoreStore(tmp_path / "a.sqlite") as store:
        run_metric(RecordsPairs(), dataset, store, RunOptions(device="cpu", num_workers=0, batch_pixels=8_000))
    assert RecordsPairs.batches == [2, 2, 2]  # 4,000 pixels a sample: image and reference
    with ScoreStore(tmp_path / "b.sqlite") as store:
        summary = run_metric(MeanIntensity(), dataset, store, RunOptions(device="cpu", num_workers=1, batch_size=8,
                                                                          batch_pixels=4_000))
    assert summary.scored == 6 and len(refs) == 6


def test_workers_decode_one_by_one_and_the_runner_cuts_the_batches(tmp_path):
    write_images(tmp_path / "img", 7, size=(40, 50))
    dataset = listed(tmp_path / "img")
    metric = RecordsBatches()
    with ScoreStore(tmp_path / "s.sqlite") as store:
        summary = run_metric(metric, dataset, store, RunOptions(device="cpu", num_workers=1, batch_pixels=6_000))
    assert summary.scored == 7
    assert [len(batch) for batch in metric.batches] == [3, 3, 1]


# -- two runs at once ------------------------------------------------------------------------------------------
KEY = ScoreKey("m", "c", "w", "d")


def _begin(store: ScoreStore) -> int:
    return store.begin_run(KEY, metric_config={}, weights={}, dataset_root="/", device="cpu", host="h", versions={})


def test_a_run_counts_only_the_rows_it_wrote(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as first, ScoreStore(tmp_path / "s.sqlite") as second:
        a, b = _begin(first), _begin(second)
        rows = [(f"s{i}", "h", float(i), None, 0.0) for i in range(10)]
        assert first.add_scores(KEY, a, rows[:6]) == 6
        outcome = second.record(KEY, b, rows, expected={})
        assert [kept is None for kept in outcome] == [False] * 6 + [True] * 4
        assert {kept.run_id for kept in outcome if kept is not None} == {a}
        # a failure another run wrote meanwhile is kept; a score replaces it
        first.add_scores(KEY, a, [("f", "h", None, "boom", 0.0), ("g", "h", None, "bang", 0.0)])
        kept_failure, replaced = second.record(KEY, b, [("f", "h", None, "other", 0.0), ("g", "h", 1.0, None, 0.0)],
                                               expected={})
        assert kept_failure.error == "boom" and replaced is None
        # a failure this run meant to retry (written by run a, as expected) is replaced
        [retried] = second.record(KEY, b, [("f", "h", None, "again", 0.0)], expected={("f", "h"): a})
        assert retried is None and second.stored(KEY)[("f", "h")].error == "again"


def test_claims_keep_a_second_run_off_the_samples_of_the_first(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as first, ScoreStore(tmp_path / "s.sqlite") as second:
        a, b = _begin(first), _begin(second)
        pairs = [(f"s{i}", "h") for i in range(4)]
        assert first.claim(KEY, a, pairs[:2]).claimed == pairs[:2]
        result = second.claim(KEY, b, pairs)
        assert (result.claimed, result.busy, result.done) == (pairs[2:], pairs[:2], {})
        first.add_scores(KEY, a, [("s0", "h", 0.5, None, 0.0)])  # written: its claim ends
        first.end_run(a, status="interrupted", total=4, scored=1, stored=0, missing=0, failed=0)  # the rest too
        result = second.claim(KEY, b, pairs[:2])
        assert result.claimed == [("s1", "h")] and result.done[("s0", "h")].score == 0.5
        c = _begin(first)
        assert first.claim(KEY, c, [("s9", "h")], seconds=-1).claimed == [("s9", "h")]
        assert second.claim(KEY, b, [("s9", "h")]).claimed == [("s9", "h")]  # c's claim had expired


@pytest.mark.slow
def test_two_runs_at_once_split_the_work_and_count_only_their_own_rows(tmp_path):
    site = install_entry_point(tmp_path, "iqabench", "slow", SLOW_PLUGIN)
    write_images(tmp_path / "img", 40)
    store = tmp_path / "s.sqlite"
    hold = tmp_path / "hold"
    hold.write_text("both runs wait here until each has claimed its first samples")
    args = ("run", "-m", "slow-mean", "-d", "folder", "--root", str(tmp_path / "img"), "--store", str(store))
    env = {"HOLD": str(hold), "SLOW": "0.1"}
    first = cli(*args, site=site, env=env, wait=False)
    wait_for(lambda: rows_of(store, "SELECT COUNT(DISTINCT run_id) FROM claims") == [(1,)], process=first)
    second = cli(*args, site=site, env=env, wait=False)
    wait_for(lambda: rows_of(store, "SELECT COUNT(DISTINCT run_id) FROM claims") == [(2,)], process=second)
    hold.unlink()
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs

    runs = rows_of(store, "SELECT id, status, n_scored, n_stored, n_failed FROM runs ORDER BY id")
    written = dict(rows_of(store, "SELECT run_id, COUNT(*) FROM scores GROUP BY run_id"))
    assert rows_of(store, "SELECT COUNT(*) FROM scores") == [(40,)]
    assert sum(n_scored for _, _, n_scored, _, _ in runs) == 40
    for run_id, status, n_scored, n_stored, n_failed in runs:
        assert status == "completed" and n_failed == 0
        assert n_scored == written.get(run_id, 0) > 0  # each scored a share, and counts exactly its rows
        assert n_scored + n_stored == 40
