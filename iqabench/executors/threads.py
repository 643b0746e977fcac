"""Where a metric runs: its device, and the cores shared between decoding workers and torch's threads."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import IqabenchError

if TYPE_CHECKING:
    import torch


def resolve_device(name: str) -> torch.device:
    """``auto`` is cuda when a GPU is present, else cpu."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise IqabenchError("--device cuda was asked for but no CUDA device is available; use --device cpu or auto")
    return torch.device(name)


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity where the system reports one (``taskset``,
    a container's cpuset), else every core."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def default_workers(cores: int | None = None) -> int:
    """Decoding worker processes: none below four cores (the main process decodes, and a worker would
    compete with the metric for the cores), else a quarter of them, at most 4."""
    cores = cores or usable_cores()
    return 0 if cores < 4 else min(4, cores // 4)


def scoring_threads(workers: int, cores: int | None = None) -> int:
    """torch's intra-op threads for scoring: the cores the decoding workers leave, at least one, so that
    threads plus decoding processes never exceed the cores."""
    cores = cores or usable_cores()
    return max(1, cores - workers)
