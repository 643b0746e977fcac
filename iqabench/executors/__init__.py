"""Where a run's pending samples are decoded and scored (the seam is :class:`iqabench.runner.Executor`):

- ``local``: this process, as always (:class:`iqabench.runner.LocalExecutor`);
- ``ray``: a pool of actors on a Ray cluster (:mod:`.ray_executor`), with the optional extra ``ray``.
  Ray is imported only when this executor is asked for.

Either way the driver (the process that runs ``iqabench``) alone claims samples and writes the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UsageError
from ..runner import Executor, LocalExecutor

NAMES = ("local", "ray")
RAY_MISSING = ('--executor ray needs Ray, which is not installed: pip install -e ".[ray]" in a checkout '
               '(pip install "iqabench[ray]" otherwise), on the driver and on every node of the cluster')


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


def make_executor(name: str = "local", ray: RayOptions | None = None) -> Executor:
    """The executor called ``name``; ``ray`` options apply to the Ray executor only."""
    if name == "local":
        if ray is not None and ray != RayOptions():
            raise UsageError("--address, --actors, --cpus-per-actor and --gpus-per-actor go with --executor ray")
        return LocalExecutor()
    if name != "ray":
        raise UsageError(f"unknown executor {name!r}; choose one of {', '.join(NAMES)}")
    try:
        import ray as _  # noqa: F401
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    from .ray_executor import RayExecutor

    return RayExecutor(ray or RayOptions())


__all__ = ["NAMES", "RayOptions", "make_executor"]
