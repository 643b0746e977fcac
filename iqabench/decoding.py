"""Decoding the pending samples of a run, one by one, in the main process or in DataLoader workers
(the executor cuts the batches, by count and by decoded pixels: :func:`iqabench.executors.batches.cut_batches`).

Failures travel as data (:class:`Decoded` with an error), not as exceptions, so one bad file never stops
a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from torch.utils.data import Dataset as TorchDataset

from .dataset import Sample
from .errors import IqabenchError
from .images import load_image
from .metric import Metric

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Decoded:
    """A decoded sample, or the reason it could not be decoded."""

    index: int
    image: torch.Tensor | None
    ref: torch.Tensor | None
    error: str | None

    @property
    def pixels(self) -> int:
        """Decoded pixels held (image and reference; a channel is not a pixel)."""
        return sum(t.shape[-1] * t.shape[-2] for t in (self.image, self.ref) if t is not None)


class DecodeDataset(TorchDataset):
    """The pending samples of one run, decoded as the metric asks (channels, minimum size, references)."""

    def __init__(self, samples: Sequence[Sample], metric: Metric, max_pixels: int) -> None:
        self.samples = samples
        self.channels = metric.channels
        self.min_size = metric.min_size
        self.needs_ref = metric.kind == "FR"
        self.max_pixels = max_pixels

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Decoded:
        sample = self.samples[index]
        try:
            image = load_image(sample.path, self.channels, self.max_pixels, self.min_size)
            ref = None
            if self.needs_ref:
                if sample.ref_path is None:
                    raise IqabenchError("full-reference metric, but this sample has no reference image")
                ref = load_image(sample.ref_path, self.channels, self.max_pixels, self.min_size)
                if ref.shape != image.shape:
                    raise IqabenchError(
                        f"reference {tuple(ref.shape)} and distorted {tuple(image.shape)} image sizes differ"
                    )
        except IqabenchError as exc:
            return Decoded(index, None, None, str(exc))
        return Decoded(index, image, ref, None)


def as_is(item):
    """The DataLoader's collate function: a decoded item travels as it is (the runner makes the batches, by
    count and by decoded pixels; images of different sizes are never stacked)."""
    return item
