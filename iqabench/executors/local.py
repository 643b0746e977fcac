"""The local executor: the metric loads, and its samples are decoded and scored, in this process.

Decoding may use DataLoader workers; this process cuts and scores the batches itself.

Memory: images are decoded one by one and a batch is cut before its decoded pixels (images and
references) would pass :func:`iqabench.settings.batch_pixels` (``IQABENCH_BATCH_PIXELS``, default twice the
per-image limit ``max_pixels``): a decoded pixel takes 12 bytes (float32 × 3 channels), so the default 100
megapixels per image is 1.2 GB and a batch at most 2.4 GB. In memory at once: one batch, the next
image, and with decoding workers up to two images per worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from .. import settings
from ..metric import Metric
from .batches import score_batches
from .protocol import Loaded
from .threads import default_workers, resolve_device, scoring_threads

if TYPE_CHECKING:
    from ..decoding import Decoded
    from ..runner.options import RunOptions
    from ..runner.work import Work


class LocalExecutor:
    """Decodes and scores in this process (the default executor)."""

    def load(self, metric: Metric, options: RunOptions, pending: int | None) -> Loaded:
        device = resolve_device(options.device)
        metric.load(device)
        return Loaded(str(device), dict(metric.weights))

    def score(self, metric: Metric, work: Work, options: RunOptions, progress) -> None:
        """Decode and score the pending samples in batches, each committed as it is scored; then those another
        run had claimed and not stored meanwhile."""
        import torch

        from ..decoding import DecodeDataset

        work.track(progress, f"{metric.name} on {work.summary.dataset}")
        workers = options.num_workers if options.num_workers is not None else default_workers()
        torch.set_num_threads(scoring_threads(workers))
        max_pixels = options.max_pixels or settings.max_pixels()
        budget = options.batch_pixels or settings.batch_pixels(max_pixels)
        size = options.batch_size or metric.batch_size
        decoder = DecodeDataset(work.samples, metric, max_pixels)

        def score(items: Iterable[Decoded]) -> None:
            for results in score_batches(metric, items, size, budget):
                work.record_results(results)

        score(_decoded(decoder, work.claimed(max(size, 16)), workers))
        while ready := work.claim_deferred():  # few, usually: decoded here
            score(decoder[i] for i in ready)

    def close(self) -> None:
        """Nothing to release: the metric stays loaded in its object, as it always has."""


def _decoded(decoder, indices: Iterator[int], workers: int) -> Iterator[Decoded]:
    """The decoded items of ``indices``, in order: in this process when there are no workers, else one by one
    through a DataLoader (which reads ``indices`` as it goes, so samples are claimed just ahead of decoding)."""
    if workers == 0:
        for index in indices:
            yield decoder[index]
        return
    from torch.utils.data import DataLoader

    from ..decoding import as_is

    yield from DataLoader(decoder, batch_size=None, sampler=_Indices(indices), num_workers=workers,
                          collate_fn=as_is, prefetch_factor=2)


class _Indices:
    """An iterator of indices as a DataLoader sampler (read once)."""

    def __init__(self, indices: Iterator[int]) -> None:
        self.indices = indices

    def __iter__(self) -> Iterator[int]:
        return self.indices
