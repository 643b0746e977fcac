"""The Ray executor: the driver claims pending samples, cuts them into tasks, and a pool of actors
(:class:`~iqabench.executors.ray_actor.ScoringActor`, one per CPU or GPU slot) decodes and scores them.

- **Tasks**: consecutive pending samples, as many as a batch (``--batch-size`` or the metric's), so an
  actor cuts the same batches a local run would (unless the decoded-pixel budget cuts one short). Each
  task is claimed in the store as it is sent (:class:`iqabench.runner.work.Work`), and its results are
  committed in one transaction when it returns: the driver alone writes the store.
- **Flow**: at most :data:`TASKS_PER_ACTOR` tasks per actor are in flight, each sent to the actor with
  the fewest; progress (images per second, time left) counts the results as they are committed.
- **Images**: by path when every actor reads the same files, else as bytes
  (:mod:`~iqabench.executors.transport`).
- **Faults**: a metric that raises on an image is that image's failure, as in a local run. An actor
  whose process dies is restarted by Ray (at most :data:`MAX_RESTARTS` times) and its tasks are sent
  again (at most :data:`MAX_TASK_RETRIES` times); past that the run stops, keeping every batch
  committed. A driver that dies leaves its committed batches in the store; the next run resumes.
- **Resources**: each actor reserves ``cpus_per_actor`` CPUs (its torch threads) and
  ``gpus_per_actor`` GPUs (a fraction shares a GPU). Without ``--actors``, the pool is as large as the
  cluster's CPUs (or GPUs) allow, and never larger than the number of tasks.
"""

from __future__ import annotations

import json
import logging
import math
import os
from itertools import islice
from typing import TYPE_CHECKING, Iterable, Iterator

import ray
from ray.exceptions import RayActorError, RayTaskError

from .. import settings
from ..errors import IqabenchError, UsageError
from ..metric import Metric
from . import transport
from .protocol import Loaded
from .ray_actor import ScoringActor
from .ray_options import RayOptions

if TYPE_CHECKING:
    from ..runner.options import RunOptions
    from ..runner.work import Work

#: times Ray restarts an actor whose process died, and sends an interrupted task again.
MAX_RESTARTS, MAX_TASK_RETRIES = 3, 3
#: tasks in flight per actor: one being scored, one waiting, so an actor never waits for the driver.
TASKS_PER_ACTOR = 2
#: environment variables the actors get from the driver (besides every ``IQABENCH_*``).
PASSED_ENV = ("HF_HUB_OFFLINE",)


class RayExecutor:
    """Connects to (or starts) a Ray cluster on first use; one actor pool at a time, kept while the next
    run loads the same metric with the same settings (a suite's datasets), stopped by :meth:`close`."""

    def __init__(self, options: RayOptions) -> None:
        self.options = options
        self.actors: list = []
        self.where = ""
        self._started = False
        self._pool: tuple | None = None  # what the running pool was started with
        self._loaded: Loaded | None = None

    # -- the pool ----------------------------------------------------------------------------
    def load(self, metric: Metric, options: RunOptions, pending: int | None) -> Loaded:
        """Start the pool for ``metric`` (every actor loads it) and return where it runs and its weights."""
        self._connect()
        resources = ray.cluster_resources()
        gpus = self._gpus(options, resources.get("GPU", 0.0))
        cpus = self.options.cpus_per_actor
        size = options.batch_size or metric.batch_size
        count = self._count(resources, cpus, gpus, None if pending is None else math.ceil(pending / size))
        max_pixels = options.max_pixels or settings.max_pixels()
        budget = options.batch_pixels or settings.batch_pixels(max_pixels)
        pool = (metric.name, metric.config_hash(), count, cpus, gpus, size, max_pixels, budget, actor_env())
        if pool == self._pool and self._loaded is not None:
            return self._loaded
        self._stop_actors()
        actor = ray.remote(ScoringActor).options(
            num_cpus=cpus, num_gpus=gpus, max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES,
            runtime_env={"env_vars": actor_env()})
        self.actors = [actor.remote(metric.name, metric.config_hash(), "cuda" if gpus else "cpu",
                                    max(1, int(cpus)), size, max_pixels, budget) for _ in range(count)]
        try:
            found = self._get([a.load.remote() for a in self.actors])
            if len({json.dumps(f["weights"], sort_keys=True) for f in found}) > 1:
                raise IqabenchError(
                    f"the Ray actors of metric {metric.name!r} loaded different weight files: "
                    + "; ".join(f"{f['host']}: {f['weights']}" for f in found)
                    + ". Put the same weight files on every node (IQABENCH_WEIGHTS_DIR)")
        except BaseException:
            self._stop_actors()
            raise
        hosts = sorted({f["host"] for f in found})
        self.where = f"{len(hosts)} node(s): {', '.join(hosts)}"
        devices = ", ".join(sorted({f["device"] for f in found}))
        reserved = f"{cpus:g} CPU" + (f" and {gpus:g} GPU" if gpus else "")
        self._pool = pool
        self._loaded = Loaded(f"ray: {count} actor(s) on {devices}, {reserved} each, {self.where}", found[0]["weights"])
        return self._loaded

    def _connect(self) -> None:
        if ray.is_initialized():  # the caller's connection (a notebook, a test) is used as it is
            return
        address = self.options.address
        try:
            ray.init(address=address, logging_level=logging.WARNING,
                     **({"include_dashboard": False} if address is None else {}))
        except ConnectionError as exc:
            raise IqabenchError(
                f"cannot connect to the Ray cluster at {address!r}: {exc}. Start one with `ray start --head` "
                "(and `ray start --address HEAD:6379` on each worker), or leave out --address to start a "
                "local one") from None
        self._started = True

    def _gpus(self, options: RunOptions, available: float) -> float:
        """GPUs per actor: as asked, else one when the device may be cuda and the cluster has GPUs."""
        asked = self.options.gpus_per_actor
        gpus = asked if asked is not None else (1.0 if options.device != "cpu" and available >= 1 else 0.0)
        if gpus and options.device == "cpu":
            raise UsageError("--gpus-per-actor asks for GPUs but --device is cpu; leave one of them out")
        if options.device == "cuda" and not (gpus and available):
            raise UsageError("--device cuda, but " + ("the Ray cluster has no GPU" if not available else
                                                      "--gpus-per-actor is 0") + "; use --device cpu or auto")
        if gpus > available:
            raise UsageError(f"--gpus-per-actor {gpus:g}: the Ray cluster has {available:g} GPU(s)")
        return gpus

    def _count(self, resources: dict, cpus: float, gpus: float, tasks: int | None) -> int:
        """Actors to start: as asked, else as many as the cluster's slots; never more than the tasks."""
        slots = min(int(resources.get("CPU", 0.0) // cpus) if cpus else math.inf,
                    int(resources.get("GPU", 0.0) // gpus) if gpus else math.inf)
        what = f"{resources.get('CPU', 0.0):g} CPU(s) and {resources.get('GPU', 0.0):g} GPU(s)"
        if slots < 1 or (self.options.actors or 0) > slots:
            raise UsageError(
                f"the Ray cluster ({what}) has room for {0 if slots < 1 else slots} actor(s) of {cpus:g} CPU"
                + (f" and {gpus:g} GPU" if gpus else "") + f" each, not {self.options.actors or 1}; "
                "lower --actors, --cpus-per-actor or --gpus-per-actor, or add nodes")
        count = self.options.actors or int(slots)
        return max(1, min(count, tasks)) if tasks is not None else count

    def _stop_actors(self) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors, self._pool, self._loaded = [], None, None

    def close(self) -> None:
        """Stop the pool, and the local cluster when this executor started it (else just disconnect)."""
        if not ray.is_initialized():
            return
        self._stop_actors()
        if self._started:
            ray.shutdown()
            self._started = False

    # -- scoring -----------------------------------------------------------------------------
    def score(self, metric: Metric, work: Work, options: RunOptions, progress) -> None:
        """Send the pending samples as tasks and commit each task's results as it returns; then the
        samples another run had claimed and not stored meanwhile."""
        work.track(progress, f"{metric.name} on {work.summary.dataset} ({len(self.actors)} Ray actors)")
        full_reference = metric.kind == "FR"
        size = options.batch_size or metric.batch_size
        probes = transport.probes(work.samples, full_reference, work.store.content_hash)
        ship = transport.choose(self._get([a.sees.remote(probes) for a in self.actors]), work.samples,
                                full_reference, self.where)

        def tasks(indices: Iterator[int]) -> Iterator[list[transport.Item]]:
            while chunk := list(islice(indices, size)):
                yield [transport.item(i, work.samples[i], full_reference, ship) for i in chunk]

        try:
            self._run(work, tasks(work.claimed(size)))
            while ready := work.claim_deferred():
                self._run(work, tasks(iter(ready)))
        except BaseException:  # tasks may still run, or an actor be dead: the next run starts a new pool
            self._stop_actors()
            raise

    def _run(self, work: Work, tasks: Iterable[list[transport.Item]]) -> None:
        """Keep every actor busy with ``tasks`` (claimed as they are sent) and commit the results."""
        in_flight: dict = {}  # result -> the actor's position
        busy = [0] * len(self.actors)
        for task in tasks:
            while len(in_flight) >= TASKS_PER_ACTOR * len(self.actors):
                self._commit_next(work, in_flight, busy)
            position = busy.index(min(busy))
            in_flight[self.actors[position].score.remote(task)] = position
            busy[position] += 1
        while in_flight:
            self._commit_next(work, in_flight, busy)

    def _commit_next(self, work: Work, in_flight: dict, busy: list[int]) -> None:
        (done,), _ = ray.wait(list(in_flight), num_returns=1)
        busy[in_flight.pop(done)] -= 1
        work.record_results(self._get(done))

    def _get(self, refs):
        """``ray.get``, with an actor's error raised as the error it is (an IqabenchError keeps its message
        and exit code), and an actor that died past its restarts as an IqabenchError saying what to do."""
        try:
            return ray.get(refs)
        except RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, IqabenchError):
                raise cause from None
            raise
        except RayActorError as exc:
            raise IqabenchError(
                f"a Ray actor died more often than it may be restarted ({MAX_RESTARTS} restarts, "
                f"{MAX_TASK_RETRIES} retries of a task), on {self.where or 'the cluster'}: {exc}. Every batch "
                "scored so far is in the store; find the cause in the Ray logs (out of memory?) and run "
                "again to resume") from None


def actor_env() -> dict[str, str]:
    """The driver's settings for the actors: every ``IQABENCH_*`` variable, and offline when it is."""
    env = {k: v for k, v in os.environ.items() if k.startswith("IQABENCH_") or k in PASSED_ENV}
    if settings.offline():  # also when --offline says so
        env[settings.OFFLINE_ENV] = "1"
    return env
