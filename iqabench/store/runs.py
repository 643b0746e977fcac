"""The runs recorded in the store: their start and end, their process, and marking those whose process is gone."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterable

from .connection import Connection, chunks, marks
from .errors import guarded
from .processes import process_alive, process_token
from .rows import ScoreKey
from .schema import now


class Runs(Connection):
    """Recording runs, and reading them back."""

    @guarded
    def begin_run(
        self,
        key: ScoreKey,
        *,
        metric_config: dict,
        weights: dict,
        dataset_root: str,
        device: str,
        host: str,
        versions: dict,
        labels_id: str | None = None,
    ) -> int:
        """Record a run of this process as ``running``; first mark the runs of this host whose process is
        gone (:meth:`mark_dead_runs`)."""
        pid = os.getpid()
        with self.transaction():
            mark_dead(self.conn)
            cursor = self.conn.execute(
                "INSERT INTO runs(started_at, status, metric, config_hash, metric_config, weights_hash, weights,"
                " dataset, dataset_root, labels_id, device, host, versions, pid, process)"
                " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), key.metric, key.config_hash, json.dumps(metric_config, sort_keys=True), key.weights_hash,
                 json.dumps(weights, sort_keys=True), key.dataset, dataset_root, labels_id, device, host,
                 json.dumps(versions, sort_keys=True), pid, process_token(pid)),
            )
            return int(cursor.lastrowid)

    @guarded
    def end_run(self, run_id: int, *, status: str, total: int, scored: int, stored: int, missing: int,
                failed: int, error: str | None = None) -> None:
        """Record how a run ended (``completed``, ``interrupted`` or ``failed`` with ``error``) and its
        counts, and drop whatever it still claimed."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET ended_at=?, status=?, n_total=?, n_scored=?, n_stored=?, n_missing=?, n_failed=?,"
                " error=? WHERE id=?",
                (now(), status, total, scored, stored, missing, failed, error, run_id),
            )
            self.conn.execute("DELETE FROM claims WHERE run_id=?", (run_id,))

    @guarded
    def mark_dead_runs(self) -> list[int]:
        """Mark ``interrupted`` the runs of this host still ``running`` whose process is gone; returns their ids."""
        with self.transaction():
            return mark_dead(self.conn)

    @guarded
    def runs(self, ids: Iterable[int] | None = None) -> list[dict]:
        """Every run, or those with the given ids, in order."""
        if ids is None:
            return self._dicts("SELECT * FROM runs ORDER BY id")
        return [row for chunk in chunks(sorted(set(ids)))
                for row in self._dicts(f"SELECT * FROM runs WHERE id IN ({marks(chunk)}) ORDER BY id", chunk)]


def mark_dead(conn: sqlite3.Connection) -> list[int]:
    """Inside the caller's transaction, mark ``interrupted`` the runs of this host still ``running`` whose
    process is gone, and drop their claims; returns their ids."""
    host, dead = socket.gethostname(), []
    for run_id, pid, token in conn.execute(
            "SELECT id, pid, process FROM runs WHERE status='running' AND host=? AND pid IS NOT NULL", (host,)):
        if not process_alive(pid, token):
            dead.append(run_id)
    for run_id in dead:
        scored, failed = conn.execute(
            "SELECT COUNT(score), COUNT(error) FROM scores WHERE run_id=?", (run_id,)).fetchone()
        pid = conn.execute("SELECT pid FROM runs WHERE id=?", (run_id,)).fetchone()[0]
        conn.execute(
            "UPDATE runs SET status='interrupted', ended_at=?, n_scored=?, n_failed=?, error=? WHERE id=?",
            (now(), scored, failed,
             f"its process (pid {pid} on {host}) ended without finishing the run: killed (SIGKILL, out of "
             "memory?) or crashed; the batches it wrote are kept and a rerun scores the rest", run_id))
        conn.execute("DELETE FROM claims WHERE run_id=?", (run_id,))
    return dead
