"""Where a run's pending samples are decoded and scored: the seam (:class:`~.protocol.Executor`) and its executors.

- ``local``: this process, as always (:class:`~.local.LocalExecutor`);
- ``ray``: a pool of actors on a Ray cluster (:mod:`.ray_executor`), with the optional extra ``ray``.
  Ray is imported only when this executor is asked for.

Both cut and score batches with :mod:`.batches`, on the device and threads :mod:`.threads` chooses. Either
way the driver (the process that runs ``iqabench``) alone claims samples and writes the store.
"""

from __future__ import annotations

from ..errors import UsageError
from .local import LocalExecutor
from .protocol import Executor, Loaded
from .ray_options import RayOptions

NAMES = ("local", "ray")
RAY_MISSING = ('--executor ray needs Ray, which is not installed: pip install -e ".[ray]" in a checkout '
               '(pip install "iqabench[ray]" otherwise), on the driver and on every node of the cluster')


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


__all__ = ["NAMES", "Executor", "LocalExecutor", "Loaded", "RayOptions", "make_executor"]
