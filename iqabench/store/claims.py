"""Claims: how concurrent runs of one metric on one dataset split the samples between them."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .connection import Connection, chunks, marks
from .errors import guarded
from .rows import ScoreKey, StoredScore, stored_rows
from .runs import mark_dead

#: a claim not renewed for this long is taken to be abandoned (its run's process on another host died).
CLAIM_SECONDS = 600.0


@dataclass(frozen=True)
class Claimed:
    """What :meth:`ScoreStore.claim` found for the samples asked: those now claimed by this run, those
    another run has stored since (the row kept), and those another live run has claimed."""

    claimed: list[tuple[str, str]]
    done: dict[tuple[str, str], StoredScore]
    busy: list[tuple[str, str]]


class Claims(Connection):
    """Claiming samples for a run."""

    @guarded
    def claim(self, key: ScoreKey, run_id: int, wanted: Sequence[tuple[str, str]],
              expected: Mapping[tuple[str, str], int] | None = None, *, seconds: float = CLAIM_SECONDS) -> Claimed:
        """Claim for ``run_id`` the (sample id, content hash) pairs of ``wanted`` that no other live run has
        claimed and that are still to score, in one transaction; renews the run's other claims.

        A pair is still to score when it has no row, or (retrying a failure) when its row is the failure
        that run ``expected[pair]`` wrote; any other row was written since by another run and is returned
        in ``done``. Claims of runs that ended or whose process is gone, and claims not renewed for
        ``seconds``, are dropped first."""
        expected = expected or {}
        moment = time.time()
        with self.transaction():
            mark_dead(self.conn)
            self.conn.execute("DELETE FROM claims WHERE expires_at < ? OR run_id IN"
                              " (SELECT id FROM runs WHERE status != 'running')", (moment,))
            rows = stored_rows(self.conn, key, wanted)
            holders = _holders(self.conn, key, wanted)
            claimed, done, busy = [], {}, []
            for pair in wanted:
                row = rows.get(pair)
                if row is not None and not (row.error is not None and row.run_id == expected.get(pair)):
                    done[pair] = row
                elif holders.get(pair, run_id) != run_id:
                    busy.append(pair)
                else:
                    claimed.append(pair)
            self.conn.executemany(
                "INSERT OR REPLACE INTO claims(metric, config_hash, weights_hash, dataset, sample_id, content_hash,"
                " run_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(key.metric, key.config_hash, key.weights_hash, key.dataset, sid, digest, run_id, moment + seconds)
                 for sid, digest in claimed])
            self.conn.execute("UPDATE claims SET expires_at=? WHERE run_id=?", (moment + seconds, run_id))
        return Claimed(claimed, done, busy)


def release(conn: sqlite3.Connection, key: ScoreKey, run_id: int, pairs: Sequence[tuple[str, str]]) -> None:
    """Inside the caller's transaction, drop ``run_id``'s claims on ``pairs`` (their rows are written) and
    renew its other claims."""
    conn.executemany(
        "DELETE FROM claims WHERE metric=? AND config_hash=? AND weights_hash=? AND dataset=? AND sample_id=?"
        " AND content_hash=? AND run_id=?",
        [(key.metric, key.config_hash, key.weights_hash, key.dataset, sid, digest, run_id) for sid, digest in pairs])
    conn.execute("UPDATE claims SET expires_at=? WHERE run_id=?", (time.time() + CLAIM_SECONDS, run_id))


def _holders(conn: sqlite3.Connection, key: ScoreKey, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The run holding a claim on each of ``pairs`` that is claimed."""
    holders = {}
    for chunk in chunks(sorted({sid for sid, _ in pairs})):
        holders.update({(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT sample_id, content_hash, run_id FROM claims WHERE metric=? AND config_hash=? AND"
            f" weights_hash=? AND dataset=? AND sample_id IN ({marks(chunk)})",
            (key.metric, key.config_hash, key.weights_hash, key.dataset, *chunk))})
    return holders
