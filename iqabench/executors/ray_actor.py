"""One slot of the Ray executor's pool: a process that loads its metric once and scores tasks.

The actor re-resolves the metric by name from the plugins installed on its node (a loaded model is
never pickled) and refuses to score when that metric's configuration hash is not the driver's (another
version of iqabench or of the plugin on that node). It decodes with :class:`iqabench.decoding.DecodeDataset`
and scores with :func:`iqabench.executors.batches.score_batches`, the local executor's own functions, so an image
gets the same pixels, batches and failures as in a local run. It never touches the store: it returns
each task's results, and the driver writes them.

The metric loads on first use (:meth:`ScoringActor.load` or the first task), so an actor that Ray
restarts after its process died loads it again before scoring the retried task.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Sequence

from .batches import score_batches
from .threads import resolve_device
from .transport import Item, Probe, samples_of, scratch, sees


class ScoringActor:
    """Scores tasks of one metric on ``device`` with ``threads`` torch threads."""

    def __init__(self, metric: str, config_hash: str, device: str, threads: int, batch_size: int,
                 max_pixels: int, batch_pixels: int) -> None:
        self.name, self.config_hash, self.device = metric, config_hash, device
        self.threads, self.batch_size = threads, batch_size
        self.max_pixels, self.batch_pixels = max_pixels, batch_pixels
        self.metric = None
        self._device = None

    def load(self) -> dict:
        """Load the metric (once); where it runs and the weight files it read."""
        if self.metric is None:
            self.metric = self._resolve()
        return {"host": socket.gethostname(), "pid": os.getpid(), "device": str(self._device),
                "weights": dict(self.metric.weights)}

    def _resolve(self):
        import torch

        from .. import decoding  # noqa: F401  imported here, with the metric, rather than by the first task
        from ..errors import IqabenchError
        from ..plugins import load_registry

        torch.set_num_threads(self.threads)
        metric = load_registry().metric(self.name)
        if metric.config_hash() != self.config_hash:
            raise IqabenchError(
                f"on Ray node {socket.gethostname()}, metric {self.name!r} has the configuration {metric.config()} "
                f"(hash {metric.config_hash()}), not the driver's (hash {self.config_hash}): install the same "
                "versions of iqabench and its plugins on every node")
        self._device = resolve_device(self.device)
        metric.load(self._device)
        return metric

    def sees(self, probe_files: Sequence[Probe]) -> bool:
        """Whether the driver's probe files are here, at the same paths, with the same content."""
        return sees(probe_files)

    def score(self, items: Sequence[Item]) -> list[tuple[int, float | None, str | None, float]]:
        """Decode and score one task; (pending index, score, failure, seconds per image) per item."""
        from ..decoding import DecodeDataset

        self.load()
        with scratch() as folder:
            decoder = DecodeDataset(samples_of(items, Path(folder)), self.metric, self.max_pixels)
            decoded = (decoder[position] for position in range(len(items)))
            return [(items[position].index, value, error, seconds)
                    for batch in score_batches(self.metric, decoded, self.batch_size, self.batch_pixels)
                    for position, value, error, seconds in batch]
