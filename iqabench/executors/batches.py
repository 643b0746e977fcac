"""Decoded samples cut into batches (by count and by decoded pixels) and scored, a failing batch image by image.

A batch that raises is retried image by image, so one bad image fails alone; NaN is a failure, never a score.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..errors import IqabenchError
from ..metric import Metric, check_score

if TYPE_CHECKING:
    from ..decoding import Decoded

#: one scored sample: (index among the run's pending samples, score, failure reason, seconds per image).
Result = tuple[int, float | None, str | None, float]


def score_batches(metric: Metric, items: Iterable[Decoded], size: int, budget: int) -> Iterator[list[Result]]:
    """Cut decoded items into batches (:func:`cut_batches`) and score each (:func:`score_decoded`): one list
    of results per batch, in index order, each with the batch's seconds per image."""
    for batch in cut_batches(items, size, budget):
        started = time.perf_counter()
        results = score_decoded(metric, batch)
        per_image = (time.perf_counter() - started) / len(batch)
        yield [(index, value, error, per_image) for index, (value, error) in sorted(results.items())]


def cut_batches(items: Iterable[Decoded], size: int, budget: int) -> Iterator[list[Decoded]]:
    """Batches of at most ``size`` decoded items, cut before the decoded pixels would pass ``budget`` (an item
    larger than the budget is a batch alone). Items arrive one by one, so at most one batch and the
    next item are held here."""
    batch: list[Decoded] = []
    pixels = 0
    for item in items:
        if batch and pixels + item.pixels > budget:
            yield batch
            batch, pixels = [], 0
        batch.append(item)
        pixels += item.pixels
        if len(batch) >= size:
            yield batch
            batch, pixels = [], 0
    if batch:
        yield batch


def score_decoded(metric: Metric, batch: list[Decoded]) -> dict[int, tuple[float | None, str | None]]:
    """Score the decoded items of a batch; when the batch raises, retry one by one to isolate the culprit."""
    results: dict[int, tuple[float | None, str | None]] = {d.index: (None, d.error) for d in batch if d.error}
    good = [d for d in batch if d.error is None]
    if not good:
        return results
    try:
        scores = _score(metric, good)
    except Exception as exc:  # any metric error becomes a per-image failure, never a crash of the run
        if len(good) == 1:
            results[good[0].index] = (None, failure(exc))
            return results
        for item in good:
            results.update(score_decoded(metric, [item]))
        return results
    for item, value in zip(good, scores):
        try:
            results[item.index] = (check_score(value), None)
        except (TypeError, ValueError) as exc:
            results[item.index] = (None, str(exc))
    return results


def failure(exc: BaseException) -> str:
    """An exception as a recorded failure: its type and message."""
    return f"{type(exc).__name__}: {exc}".strip()


def _score(metric: Metric, items: list[Decoded]) -> list:
    import torch

    refs = [d.ref for d in items] if metric.kind == "FR" else None
    with torch.inference_mode():
        scores = list(metric.score_batch([d.image for d in items], refs))
    if len(scores) != len(items):
        raise IqabenchError(f"metric returned {len(scores)} scores for {len(items)} images")
    return scores
