"""Running one metric on one dataset: what the store lacks, the metric loaded only then, the run recorded.

:func:`run_metric` finds the pending samples, has the executor score them, and records the run, the failures
found before decoding, and how the run ended.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping

from ..dataset import Dataset, Sample
from ..errors import DatasetError, IqabenchError
from ..executors.batches import failure
from ..executors.local import LocalExecutor
from ..executors.protocol import Executor
from ..metric import Identity, Metric, weights_hash
from ..store import SampleHashes, ScoreKey, ScoreStore, StoredScore, StoreError
from .options import RunOptions
from .sample_hashes import hash_samples
from .samples import check_compatible, selected
from .summary import RunSummary
from .versions import versions
from .work import Work


def run_metric(
    metric: Metric,
    dataset: Dataset,
    store: ScoreStore,
    options: RunOptions,
    *,
    hashes: Mapping[str, SampleHashes] | None = None,
    labels_id: str | None = None,
    plugin_versions: dict[str, str] | None = None,
    progress=None,
    executor: Executor | None = None,
) -> RunSummary:
    """Score every sample of ``dataset`` that ``store`` lacks for ``metric``; see :mod:`iqabench.runner`.

    ``hashes`` are the samples' content hashes (:func:`hash_samples`; computed when not given).
    ``progress`` is an optional :class:`rich.progress.Progress` that gets one task for this run.
    ``executor`` decodes and scores the pending samples (default: :class:`LocalExecutor`).
    """
    executor = executor or LocalExecutor()
    check_compatible(metric, dataset, options)
    samples = selected(dataset, options)
    if len({s.id for s in samples}) != len(samples):  # open_dataset refuses them; a dataset built by hand may not
        raise DatasetError(f"dataset {dataset.name!r} has samples with the same id; each sample needs its own")
    unhashed = [s for s in samples if hashes is None or s.id not in hashes]
    hashes = {**(hashes or {}), **(hash_samples(store, dataset, unhashed) if unhashed else {})}
    content = [hashes[s.id].for_kind(metric.kind) for s in samples]
    unreadable = {i: reason for i, s in enumerate(samples) if (reason := hashes[s.id].error_for(metric.kind))}
    identity = metric.identity()
    loaded = None
    if identity.weights_hash is None:  # weight files known only once loaded: load first
        loaded = executor.load(metric, options, None)
        identity = _loaded_identity(identity, loaded.weights)
    key = ScoreKey(metric.name, identity.config_hash, identity.weights_hash, dataset.name)
    stored = store.stored(key)
    pending = [i for i, (s, h) in enumerate(zip(samples, content)) if i not in unreadable and (
        (s.id, h) not in stored or (options.retry_failed and stored[(s.id, h)].error is not None))]
    summary = RunSummary(metric=metric.name, dataset=dataset.name, run_id=None,
                         total=len(samples) + len(dataset.missing),
                         stored=len(samples) - len(pending) - len(unreadable),
                         missing=len(dataset.missing), missing_ids=[s.id for s in dataset.missing])
    _count_stored_failures(summary, stored, samples, content, options, skip=unreadable)
    unreadable = _unreadable_to_record(summary, stored, samples, content, unreadable)
    if not pending and not unreadable:
        return summary
    if pending and loaded is None:
        loaded = executor.load(metric, options, len(pending))
        _check_declared_weights(identity, metric.name, loaded.weights)
    if loaded is not None:
        summary.device = loaded.device
    summary.run_id = store.begin_run(
        key, metric_config=identity.config, weights=identity.weights or {}, dataset_root=str(dataset.root.resolve()),
        device=summary.device, host=socket.gethostname(), versions=versions(plugin_versions), labels_id=labels_id)
    work = Work(store, key, summary, [samples[i] for i in pending], [content[i] for i in pending],
                # a retried failure is replaced only while it is the one this run saw
                [stored[(samples[i].id, content[i])].run_id if (samples[i].id, content[i]) in stored else None
                 for i in pending])
    # failures found before decoding (hashing, or refused when the dataset was opened)
    failed = [(samples[i].id, content[i], None, reason, 0.0) for i, reason in unreadable.items()]
    _execute(executor, metric, work, options, progress, failed, stored)
    return summary


def _loaded_identity(identity: Identity, weights: dict[str, str]) -> Identity:
    files = dict(weights)
    return Identity(identity.name, identity.config, identity.config_hash, files, weights_hash(files))


def _check_declared_weights(identity: Identity, name: str, weights: dict[str, str]) -> None:
    """A metric that declared its weight files must load exactly those (else its scores are mis-keyed)."""
    if weights and weights != identity.weights:
        raise IqabenchError(
            f"metric {name!r} declared the weight files {identity.weights} but loaded {weights}; "
            "its weight_files() must name exactly what load() reads")


def _count_stored_failures(summary: RunSummary, stored: dict[tuple[str, str], StoredScore], samples: list[Sample],
                           content: list[str], options: RunOptions, skip: Mapping[int, str]) -> None:
    """A failure an earlier run stored still counts as a failure, unless it is retried now (or its file
    could not be read now: that failure is recorded again)."""
    if options.retry_failed:
        return
    for i, (sample, digest) in enumerate(zip(samples, content)):
        previous = stored.get((sample.id, digest))
        if previous is not None and previous.error is not None and i not in skip:
            summary.failed += 1
            summary.stored -= 1
            summary.failures.append((sample.id, f"{previous.error} (stored by an earlier run)"))


def _unreadable_to_record(summary: RunSummary, stored: dict[tuple[str, str], StoredScore], samples: list[Sample],
                          content: list[str], unreadable: dict[int, str]) -> dict[int, str]:
    """A file that cannot be read is a failure of every run: counted here, and returned (to be written) only
    when its reason changed since it was stored."""
    unchanged = {i for i, reason in unreadable.items() if (previous := stored.get((samples[i].id, content[i])))
                 is not None and previous.error == reason}
    for i in sorted(unchanged):
        summary.failed += 1
        summary.failures.append((samples[i].id, unreadable[i]))
    return {i: reason for i, reason in unreadable.items() if i not in unchanged}


def _execute(executor: Executor, metric: Metric, work: Work, options: RunOptions, progress,
             failed: list[tuple[str, str, None, str, float]], stored: dict[tuple[str, str], StoredScore]) -> None:
    """Record the failures found before decoding, have ``executor`` score the pending samples, and record how
    the run ended (``completed``, ``interrupted`` or ``failed``) whatever happens."""
    store, key, summary = work.store, work.key, work.summary
    started = time.perf_counter()
    status, error = "interrupted", None
    try:
        if failed:
            previous = {(sid, digest): stored[(sid, digest)].run_id for sid, digest, *_ in failed
                        if (sid, digest) in stored}
            work.tally(failed, store.record(key, summary.run_id, failed, expected=previous))
        if work.samples:
            executor.score(metric, work, options, progress)
        status = "completed"
    except StoreError as exc:
        status, error = "failed", str(exc)
        raise
    except Exception as exc:
        status, error = "failed", failure(exc)
        raise
    finally:
        summary.seconds = time.perf_counter() - started
        try:
            store.end_run(summary.run_id, status=status, total=summary.total, scored=summary.scored,
                          stored=summary.stored, missing=summary.missing, failed=summary.failed, error=error)
        except StoreError:
            if error is None:
                raise
            # the store cannot record it either (a full disk): the error being raised says what to do, and
            # the next run on this host marks this one interrupted once its process is gone.
