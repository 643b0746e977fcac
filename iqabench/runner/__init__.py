"""Scores the samples of one dataset with one metric, storing every result as it goes.

:func:`hash_samples` finds each sample's content hash (one store lookup per 500 files, using the
``stat`` taken when the dataset was opened). :func:`run_metric` then asks the store which samples the
metric's identity (:meth:`iqabench.Metric.identity`, known without loading) still lacks; only when
some are pending does it load the model and decode those samples, score them in batches on the
device, and commit each batch in one transaction. A batch that raises is retried image by image, so
one bad image fails alone; NaN is a failure, never a score. A file that cannot be read when it is
hashed (deleted since it was listed, permission denied, an I/O error) is a failure of its own, as is
one that cannot be decoded. Nothing is dropped silently: the summary counts scored, stored, missing
and failed samples, and they add up to the total.

Where the pending samples are decoded and scored is an :class:`~iqabench.executors.Executor`:
:class:`~iqabench.executors.LocalExecutor` (this process) or, with ``--executor ray``, the actors of a Ray
cluster (:mod:`iqabench.executors.ray_executor`). Either way this process alone claims samples and writes
the store, through :class:`Work`.

Two runs of one metric on one dataset split the work: each claims the samples it is about to decode
(:meth:`~iqabench.store.ScoreStore.claim`) and skips those another live run has claimed, scoring
at the end whatever that run has not stored by then. Each run counts only the rows it wrote;
the scores another run wrote count as stored.

The modules: :mod:`.options` and :mod:`.summary` (what a run is asked, what it did), :mod:`.samples` (which
samples), :mod:`.sample_hashes` (their content hashes), :mod:`.work` (claims and counts), :mod:`.versions`,
and :mod:`.run` (:func:`run_metric`). torch is imported only when there is something to score.
"""

from ..executors import Executor, Loaded, LocalExecutor
from ..executors.threads import default_workers, resolve_device, scoring_threads
from .options import RunOptions
from .run import run_metric
from .sample_hashes import hash_samples, unreadable_reason
from .samples import check_compatible, selected
from .summary import RunSummary
from .work import Work

__all__ = ["Executor", "Loaded", "LocalExecutor", "RunOptions", "RunSummary", "Work", "check_compatible",
           "default_workers", "hash_samples", "resolve_device", "run_metric", "scoring_threads", "selected",
           "unreadable_reason"]
