"""The executor seam: what a run asks of the place its pending samples are decoded and scored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..metric import Metric
    from ..runner.options import RunOptions
    from ..runner.work import Work


@dataclass(frozen=True)
class Loaded:
    """A metric loaded by an executor: where it runs (recorded with the run) and the weight files it read."""

    device: str
    weights: dict[str, str]


class Executor(Protocol):
    """Where a run's pending samples are decoded and scored. :func:`~iqabench.runner.run_metric` asks the
    store what is pending, claims it and writes every result through :class:`~iqabench.runner.Work`; the
    executor only loads and scores."""

    def load(self, metric: Metric, options: RunOptions, pending: int | None) -> Loaded:
        """Load ``metric`` where it will score ``pending`` samples (None: not yet known)."""

    def score(self, metric: Metric, work: Work, options: RunOptions, progress) -> None:
        """Score the pending samples of ``work``: claim them through it, record each batch through it."""

    def close(self) -> None:
        """Release what :meth:`load` started (processes, a cluster connection)."""
