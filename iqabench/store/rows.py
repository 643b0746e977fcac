"""A score's key and its stored row, and looking up the stored rows of given samples."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from .connection import chunks, marks


@dataclass(frozen=True)
class ScoreKey:
    """The part of a score's key shared by every sample of one (metric, dataset) run."""

    metric: str
    config_hash: str
    weights_hash: str
    dataset: str


@dataclass(frozen=True)
class StoredScore:
    sample_id: str
    content_hash: str
    score: float | None
    error: str | None
    run_id: int | None = None


def stored_rows(conn: sqlite3.Connection, key: ScoreKey,
                pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], StoredScore]:
    """The stored rows of these (sample id, content hash) pairs under ``key``."""
    wanted, found = set(pairs), {}
    for chunk in chunks(sorted({sid for sid, _ in pairs})):
        for r in conn.execute(
                "SELECT sample_id, content_hash, score, error, run_id FROM scores WHERE metric=? AND config_hash=?"
                f" AND weights_hash=? AND dataset=? AND sample_id IN ({marks(chunk)})",
                (key.metric, key.config_hash, key.weights_hash, key.dataset, *chunk)):
            if (r[0], r[1]) in wanted:
                found[(r[0], r[1])] = StoredScore(*r)
    return found
