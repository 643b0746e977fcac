"""A run's pending samples as its executor sees them: claimed, recorded one batch per transaction, counted."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence

from ..dataset import Sample
from ..executors.batches import Result
from ..store import ScoreKey, ScoreStore, StoredScore
from .summary import RunSummary

#: seconds between two looks at samples another live run has claimed, once nothing else is left.
CLAIM_POLL_SECONDS = 0.5


class Work:
    """The pending samples of one run: claiming them in the store, and counting what became of each."""

    def __init__(self, store: ScoreStore, key: ScoreKey, summary: RunSummary, samples: list[Sample],
                 content: list[str], expected: list[int | None]) -> None:
        self.store, self.key, self.summary = store, key, summary
        self.samples, self.content = samples, content
        self.expected = {(s.id, h): run for s, h, run in zip(samples, content, expected) if run is not None}
        self.index = {(s.id, h): i for i, (s, h) in enumerate(zip(samples, content))}
        #: samples another live run had claimed when this one reached them.
        self.deferred: list[int] = []
        self.progress = None
        self.task = None

    def claim(self, indices: Sequence[int]) -> list[int]:
        """Claim ``indices`` for this run; returns those to decode now. Those another run has stored since
        are counted, those another live run holds are deferred."""
        pairs = [(self.samples[i].id, self.content[i]) for i in indices]
        result = self.store.claim(self.key, self.summary.run_id, pairs, self.expected)
        for row in result.done.values():
            self._count_kept(row)
        self.advance(len(result.done))
        self.deferred.extend(self.index[pair] for pair in result.busy)
        return [self.index[pair] for pair in result.claimed]

    def claimed(self, chunk: int) -> Iterator[int]:
        """Every pending index in order, claimed ``chunk`` at a time, skipping those claimed elsewhere."""
        for start in range(0, len(self.samples), chunk):
            yield from self.claim(range(start, min(start + chunk, len(self.samples))))

    def claim_deferred(self) -> list[int]:
        """The deferred samples this run may score now; waits while another live run holds them all, and
        returns [] once every one is stored by the other run."""
        while self.deferred:
            waiting, self.deferred = self.deferred, []
            ready = self.claim(waiting)
            if ready:
                return ready
            if self.deferred:
                time.sleep(CLAIM_POLL_SECONDS)
        return []

    def record(self, rows: list[tuple[str, str, float | None, str | None, float]]) -> None:
        self.tally(rows, self.store.record(self.key, self.summary.run_id, rows, self.expected))
        self.advance(len(rows))

    def record_results(self, results: Iterable[Result]) -> None:
        """Commit the results of one batch (indices among the pending samples) in one transaction."""
        self.record([(self.samples[index].id, self.content[index], value, error, seconds)
                     for index, value, error, seconds in results])

    def track(self, progress, description: str) -> None:
        """Show this run as one task of ``progress`` (None: no progress shown)."""
        if progress is not None:
            self.progress = progress
            self.task = progress.add_task(description, total=len(self.samples))

    def tally(self, rows, outcome: list[StoredScore | None]) -> None:
        """Count each row: written by this run (scored or failed), or kept as another run stored it."""
        for (sid, _, score, error, _), kept in zip(rows, outcome):
            if kept is not None:
                self._count_kept(kept)
            elif error is None:
                self.summary.scored += 1
            else:
                self.summary.failed += 1
                self.summary.failures.append((sid, error))

    def _count_kept(self, row: StoredScore) -> None:
        if row.error is None:
            self.summary.stored += 1
        else:
            self.summary.failed += 1
            self.summary.failures.append((row.sample_id, f"{row.error} (stored by another run)"))

    def advance(self, count: int) -> None:
        if self.progress is not None and count:
            self.progress.advance(self.task, count)
