"""What a run is asked to do: the device, batches, decoding workers, limits, and whether to retry failures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RunOptions:
    device: str = "auto"
    batch_size: int | None = None
    num_workers: int | None = None
    allow_missing: bool = False
    limit: int | None = None
    max_pixels: int | None = None
    retry_failed: bool = False
    #: decoded pixels (images and references) per batch; default :func:`iqabench.settings.batch_pixels`.
    batch_pixels: int | None = None
