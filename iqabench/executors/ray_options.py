"""How the Ray executor runs: the cluster, the number of actors, and what each actor reserves."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RayOptions:
    """How the Ray executor runs: the cluster (None: a new local one; ``auto``: the cluster this machine
    belongs to, started with ``ray start``; ``ray://host:10001``: through Ray Client), how many actors
    (None: as many as the cluster's CPUs, or GPUs, hold), and what each actor reserves (None GPUs: one
    when the device may be cuda and the cluster has GPUs, else none; fractions share a GPU)."""

    address: str | None = None
    actors: int | None = None
    cpus_per_actor: float = 1.0
    gpus_per_actor: float | None = None
