"""The SQLite score store: WAL, keys, failures, content hashes, concurrent writers, CSV export."""

import csv
import io
import multiprocessing
import sqlite3

from iqabench.dataset import Sample
from iqabench.store import ScoreKey, ScoreStore

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
    assert {"runs", "scores", "labels", "file_hashes", "meta"} <= tables


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
    store.end_run(run, status="completed", total=rows, scored=rows, skipped=0, missing=0, failed=0)
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


def test_export_joins_labels(tmp_path):
    with ScoreStore(tmp_path / "s.sqlite") as store:
        run = _run(store)
        store.put_labels("d", [Sample("a", tmp_path / "a.png", mos=3.5, group="g1"), Sample("b", tmp_path / "b.png", mos=1.0)])
        store.add_scores(KEY, run, [("a", "h", 0.25, None, 0.1), ("b", "h", None, "truncated", 0.1)])
        out = io.StringIO()
        assert store.export_csv(out, dataset="d") == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["sample_id"] == "a" and rows[0]["score"] == "0.25" and rows[0]["mos"] == "3.5"
    assert rows[0]["group"] == "g1"
    assert rows[1]["error"] == "truncated" and rows[1]["score"] == ""
