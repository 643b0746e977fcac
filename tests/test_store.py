"""The SQLite score store: WAL, keys, failures, content hashes, concurrent writers, CSV export."""

import csv
import io
import multiprocessing
import sqlite3

import pytest

from iqabench.dataset import Dataset, DatasetCard, Sample
from iqabench.store import SCHEMA_VERSION, SampleHashes, ScoreKey, ScoreStore, StoreError

KEY = ScoreKey("m", "cfg", "w", "d")


def _run(store: ScoreStore) -> int:
    return store.begin_run(KEY, metric_config={"a": 1}, weights={}, dataset_root="/data", device="cpu",
                           host="h", versions={"iqabench": "0"})


def test_store_is_in_wal_mode_with_schema(tmp_path):
    path = tmp_path / "s.sqlite"
    ScoreStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "scores", "label_sets", "samples", "file_hashes", "meta"} <= tables
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


def test_a_score_is_never_overwritten_but_a_failure_is_retried(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run = _run(store)
        assert store.add_scores(KEY, run, [("a", "h", 1.0, None, 0.1), ("b", "h", None, "boom", 0.1)]) == 2
        assert store.add_scores(KEY, run, [("a", "h", 9.0, None, 0.1), ("b", "h", 2.0, None, 0.1)]) == 1
        stored = store.stored(KEY)
        assert stored[("a", "h")].score == 1.0
        assert stored[("b", "h")].score == 2.0 and stored[("b", "h")].error is None
        # another content hash is another score
        store.add_scores(KEY, run, [("a", "h2", 3.0, None, 0.1)])
        assert len(store.stored(KEY)) == 3
        assert store.stored(ScoreKey("m", "other-config", "w", "d")) == {}


def test_a_row_is_a_score_or_a_failure_never_both_nor_neither(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run = _run(store)
        for row in (("x", "h", None, None, 0.0), ("y", "h", 1.0, "err", 0.0)):
            try:
                store.add_scores(KEY, run, [row])
            except sqlite3.IntegrityError:
                continue
            raise AssertionError(f"{row} was accepted")
        assert store.stored(KEY) == {}


def test_content_hash_is_cached_and_follows_the_file(tmp_path):
    image = tmp_path / "img.bin"
    image.write_bytes(b"first")
    with ScoreStore(tmp_path / "s.sqlite") as store:
        first = store.content_hash(image)
        assert store.content_hash(image) == first
        image.write_bytes(b"second version")
        assert store.content_hash(image) != first
        count = store.conn.execute("SELECT COUNT(*) FROM file_hashes").fetchone()[0]
        assert count == 1


def _writer(path: str, worker: int, rows: int) -> None:
    store = ScoreStore(path)
    run = _run(store)
    for start in range(0, rows, 10):
        store.add_scores(KEY, run, [(f"s{i}", "h", float(i), None, 0.0) for i in range(start, start + 10)])
    store.end_run(run, status="completed", total=rows, scored=rows, stored=0, missing=0, failed=0)
    store.close()


def test_two_processes_writing_one_store_leave_no_duplicates(tmp_path):
    path = str(tmp_path / "s.sqlite")
    ScoreStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 400)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with ScoreStore(path) as store:
        assert len(store.stored(KEY)) == 400
        assert [r["status"] for r in store.runs()] == ["completed", "completed"]


def _dataset(tmp_path, name="d", mos=(3.5, 1.0)) -> Dataset:
    samples = [Sample("a", tmp_path / "a.png", mos=mos[0], group="g1"), Sample("b", tmp_path / "b.png", mos=mos[1])]
    return Dataset(DatasetCard(name=name, format="folder"), tmp_path, samples, [], group_by="g")


def test_export_joins_the_labels_of_the_run(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as store:
        labels_id = store.put_label_set(_dataset(tmp_path), {"a": SampleHashes("h", None), "b": SampleHashes("h", None)})
        run = store.begin_run(KEY, metric_config={}, weights={}, dataset_root="/data", device="cpu", host="h",
                              versions={}, labels_id=labels_id)
        store.add_scores(KEY, run, [("a", "h", 0.25, None, 0.1), ("b", "h", None, "truncated", 0.1)])
        out = io.StringIO()
        assert store.export_csv(out, dataset="d") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["sample_id"] == "a" and rows[0]["score"] == "0.25" and rows[0]["mos"] == "3.5"
    assert rows[0]["group"] == "g1" and rows[0]["labels_id"] == labels_id
    assert rows[1]["error"] == "truncated" and rows[1]["score"] == ""


def test_a_batch_is_committed_whole_or_not_at_all(tmp_path):
    """The last row breaks the CHECK (neither score nor error): no row of that batch is kept."""
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run = _run(store)
        batch = [("a", "h", 1.0, None, 0.1), ("b", "h", 2.0, None, 0.1), ("c", "h", None, None, 0.1)]
        with pytest.raises(sqlite3.IntegrityError):
            store.add_scores(KEY, run, batch)
        assert store.stored(KEY) == {}


def test_two_label_sets_of_one_dataset_are_both_kept(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as store:
        first = store.put_label_set(_dataset(tmp_path, mos=(3.5, 1.0)), {})
        second = store.put_label_set(_dataset(tmp_path, mos=(2.0, 4.0)), {})
        assert first != second
        assert [s.labels_id for s in store.label_sets("d")] == [second, first]  # the one used last first
        assert [r["mos"] for r in store.labelled_samples("d", first)] == [3.5, 1.0]
        assert [r["mos"] for r in store.labelled_samples("d", second)] == [2.0, 4.0]
        assert store.put_label_set(_dataset(tmp_path, mos=(3.5, 1.0)), {}) == first  # same labels, same set
        assert store.label_sets("d")[0].labels_id == first


def test_a_store_of_schema_1_is_migrated_keeping_every_row(tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute("INSERT INTO runs(started_at, status, metric, config_hash, metric_config, weights_hash, weights, "
                 "dataset, dataset_root, device, host, versions, n_skipped) VALUES ('t', 'completed', 'm', 'c', '{}',"
                 " 'w', '{}', 'd', '/data', 'cpu', 'h', '{}', 3)")
    conn.execute("INSERT INTO scores VALUES ('m', 'c', 'w', 'd', 'a', 'h', 0.5, NULL, 0.1, 1, 't')")
    conn.execute("INSERT INTO labels VALUES ('d', 'a', 4.0, NULL, 'g', NULL)")
    conn.commit()
    conn.close()
    with ScoreStore(path) as store:
        assert store.stored(ScoreKey("m", "c", "w", "d"))[("a", "h")].score == 0.5
        assert store.runs()[0]["n_stored"] == 3
        [label_set] = store.label_sets("d")
        assert label_set.labels_id == "schema-1" and label_set.root == "/data"
        assert store.labelled_samples("d", "schema-1")[0]["mos"] == 4.0
    with ScoreStore(path) as store:  # opening again changes nothing
        assert len(store.label_sets("d")) == 1


def test_a_store_of_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    ScoreStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer iqabench"):
        ScoreStore(path)


def test_content_hashes_of_many_files_take_one_transaction(tmp_path):
    files = []
    for i in range(1200):
        files.append(tmp_path / f"f{i}.bin")
        files[-1].write_bytes(str(i).encode())
    with ScoreStore(tmp_path / "s.sqlite") as store:
        before = store.conn.total_changes
        hashes = store.content_hashes({str(f): f.stat() for f in files})
        assert store.conn.total_changes - before == 1200
        assert len(set(hashes.values())) == 1200
        assert store.content_hashes({str(f): f.stat() for f in files}) == hashes  # cached: nothing written
        assert store.conn.total_changes - before == 1200


#: the schema of iqabench 0.1.0 stores (labels keyed by dataset and sample id alone).
SCHEMA_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, ended_at TEXT, status TEXT NOT NULL,
    metric TEXT NOT NULL, config_hash TEXT NOT NULL, metric_config TEXT NOT NULL, weights_hash TEXT NOT NULL,
    weights TEXT NOT NULL, dataset TEXT NOT NULL, dataset_root TEXT NOT NULL, device TEXT NOT NULL, host TEXT NOT NULL,
    versions TEXT NOT NULL, n_total INTEGER, n_scored INTEGER, n_skipped INTEGER, n_missing INTEGER, n_failed INTEGER);
CREATE TABLE scores (metric TEXT NOT NULL, config_hash TEXT NOT NULL, weights_hash TEXT NOT NULL, dataset TEXT NOT NULL,
    sample_id TEXT NOT NULL, content_hash TEXT NOT NULL, score REAL, error TEXT, seconds REAL,
    run_id INTEGER NOT NULL REFERENCES runs(id), created_at TEXT NOT NULL,
    PRIMARY KEY (metric, config_hash, weights_hash, dataset, sample_id, content_hash),
    CHECK ((score IS NULL) <> (error IS NULL))) WITHOUT ROWID;
CREATE TABLE labels (dataset TEXT NOT NULL, sample_id TEXT NOT NULL, mos REAL, std REAL, grp TEXT, split TEXT,
    PRIMARY KEY (dataset, sample_id)) WITHOUT ROWID;
CREATE TABLE file_hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL) WITHOUT ROWID;
"""
