"""Scores the samples of one dataset with one metric, storing every result as it goes.

:func:`hash_samples` finds each sample's content hash (one store lookup per 500 files, using the
``stat`` taken when the dataset was opened). :func:`run_metric` then asks the store which samples the
metric's identity (:meth:`iqabench.Metric.identity`, known without loading) still lacks; only when
some are pending does it load the model and decode those samples, score them in batches on the
device, and commit each batch in one transaction. A batch that raises is retried image by image, so
one bad image fails alone; NaN is a failure, never a score. Nothing is dropped silently: the summary
counts scored, stored, missing and failed samples.

torch is imported only when there is something to score.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Sequence

from . import __version__, settings
from .dataset import Dataset, Sample
from .errors import DatasetError, IqabenchError, UsageError
from .metric import Identity, Metric, check_score, weights_hash
from .store import SampleHashes, ScoreKey, ScoreStore, StoredScore, pair_hash

if TYPE_CHECKING:
    import torch


@dataclass
class RunOptions:
    device: str = "auto"
    batch_size: int | None = None
    num_workers: int | None = None
    allow_missing: bool = False
    limit: int | None = None
    max_pixels: int | None = None
    retry_failed: bool = False


@dataclass
class RunSummary:
    """What one run of one metric did: scored now, found stored, missing, failed (now or before)."""

    metric: str
    dataset: str
    run_id: int | None
    total: int
    scored: int = 0
    stored: int = 0
    missing: int = 0
    failed: int = 0
    seconds: float = 0.0
    device: str = "none (nothing to score)"
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.missing == 0


def resolve_device(name: str) -> "torch.device":
    """``auto`` is cuda when a GPU is present, else cpu."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise IqabenchError("--device cuda was asked for but no CUDA device is available; use --device cpu or auto")
    return torch.device(name)


def default_workers(cores: int | None = None) -> int:
    """Decoding worker processes: none below four cores (the main process decodes, and a worker would
    compete with the metric for the cores), else a quarter of them, at most 4."""
    cores = cores or os.cpu_count() or 1
    return 0 if cores < 4 else min(4, cores // 4)


def scoring_threads(workers: int, cores: int | None = None) -> int:
    """torch's intra-op threads for scoring: the cores the decoding workers leave, at least one, so that
    threads plus decoding processes never exceed the cores."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores - workers)


def check_compatible(metric: Metric, dataset: Dataset, options: RunOptions) -> None:
    """Refuse, before anything runs, a dataset with missing images (without --allow-missing) or a
    full-reference metric on a dataset without references."""
    if dataset.missing and not options.allow_missing:
        first = ", ".join(s.id for s in dataset.missing[:5])
        raise DatasetError(
            f"{len(dataset.missing)} of {len(dataset.missing) + len(dataset.samples)} images of dataset "
            f"{dataset.name!r} are missing under {dataset.root} (first: {first}). Complete the download, "
            "or pass --allow-missing to score the images that are present (the summary records how many were missing)."
        )
    if metric.kind == "FR" and dataset.card.kind != "FR":
        raise UsageError(
            f"{metric.name} is a full-reference metric and dataset {dataset.name!r} has no reference images; "
            "choose a no-reference metric or a full-reference dataset"
        )


def selected(dataset: Dataset, options: RunOptions) -> list[Sample]:
    """The samples a run scores: those present, the first ``limit`` of them when a limit is set."""
    return dataset.samples[: options.limit] if options.limit is not None else dataset.samples


def hash_samples(store: ScoreStore, dataset: Dataset, samples: Sequence[Sample]) -> dict[str, SampleHashes]:
    """Content hashes of ``samples`` (and of each with its reference), by sample id."""
    known = dataset.file_stats
    pairs = [(s.id, os.fspath(s.path), os.fspath(s.ref_path) if s.ref_path is not None else None) for s in samples]
    names = {name for _, image, ref in pairs for name in (image, ref) if name is not None}
    digests = store.content_hashes({name: known[name] if name in known else os.stat(name) for name in names})
    return {sid: SampleHashes(digests[image], pair_hash(digests[image], digests[ref]) if ref is not None else None)
            for sid, image, ref in pairs}


@dataclass(frozen=True)
class Decoded:
    """A decoded sample, or the reason it could not be decoded."""

    index: int
    image: "torch.Tensor | None"
    ref: "torch.Tensor | None"
    error: str | None


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
) -> RunSummary:
    """Score every sample of ``dataset`` that ``store`` lacks for ``metric``; see the module docstring.

    ``hashes`` are the samples' content hashes (:func:`hash_samples`; computed when not given).
    ``progress`` is an optional :class:`rich.progress.Progress` that gets one task for this run.
    """
    check_compatible(metric, dataset, options)
    samples = selected(dataset, options)
    hashes = hashes if hashes is not None else hash_samples(store, dataset, samples)
    content = [hashes[s.id].for_kind(metric.kind) for s in samples]
    identity = metric.identity()
    device = None
    if identity.weights_hash is None:  # weight files known only once loaded: load first
        device = _load(metric, options)
        identity = _loaded_identity(identity, metric)
    key = ScoreKey(metric.name, identity.config_hash, identity.weights_hash, dataset.name)
    stored = store.stored(key)
    pending = [i for i, (s, h) in enumerate(zip(samples, content))
               if (s.id, h) not in stored or (options.retry_failed and stored[(s.id, h)].error is not None)]
    summary = RunSummary(metric=metric.name, dataset=dataset.name, run_id=None,
                         total=len(samples) + len(dataset.missing), stored=len(samples) - len(pending),
                         missing=len(dataset.missing), missing_ids=[s.id for s in dataset.missing])
    _count_stored_failures(summary, stored, samples, content, options)
    if not pending:
        return summary
    if device is None:
        device = _load(metric, options)
        _check_declared_weights(identity, metric)
    summary.device = str(device)
    summary.run_id = store.begin_run(
        key, metric_config=identity.config, weights=identity.weights or {}, dataset_root=str(dataset.root.resolve()),
        device=str(device), host=socket.gethostname(), versions=_versions(plugin_versions), labels_id=labels_id)
    _score_pending(metric, [samples[i] for i in pending], [content[i] for i in pending], key, store, options,
                   summary, progress)
    return summary


def _load(metric: Metric, options: RunOptions) -> "torch.device":
    device = resolve_device(options.device)
    metric.load(device)
    return device


def _loaded_identity(identity: Identity, metric: Metric) -> Identity:
    files = dict(metric.weights)
    return Identity(identity.name, identity.config, identity.config_hash, files, weights_hash(files))


def _check_declared_weights(identity: Identity, metric: Metric) -> None:
    """A metric that declared its weight files must load exactly those (else its scores are mis-keyed)."""
    if metric.weights and metric.weights != identity.weights:
        raise IqabenchError(
            f"metric {metric.name!r} declared the weight files {identity.weights} but loaded {metric.weights}; "
            "its weight_files() must name exactly what load() reads")


def _score_pending(metric: Metric, pending: list[Sample], content: list[str], key: ScoreKey, store: ScoreStore,
                   options: RunOptions, summary: RunSummary, progress) -> None:
    started = time.perf_counter()
    status = "interrupted"
    task = progress.add_task(f"{metric.name} on {summary.dataset}", total=len(pending)) if progress else None
    try:
        for batch in _batches(pending, metric, options):
            batch_started = time.perf_counter()
            results = score_decoded(metric, batch)
            per_image = (time.perf_counter() - batch_started) / len(batch)
            rows = []
            for index, (score, error) in sorted(results.items()):
                rows.append((pending[index].id, content[index], score, error, per_image))
                if error is None:
                    summary.scored += 1
                else:
                    summary.failed += 1
                    summary.failures.append((pending[index].id, error))
            store.add_scores(key, summary.run_id, rows)
            if progress is not None:
                progress.advance(task, len(rows))
        status = "completed"
    finally:
        summary.seconds = time.perf_counter() - started
        store.end_run(summary.run_id, status=status, total=summary.total, scored=summary.scored,
                      stored=summary.stored, missing=summary.missing, failed=summary.failed)


def _count_stored_failures(summary: RunSummary, stored: dict[tuple[str, str], StoredScore], samples, content,
                           options: RunOptions) -> None:
    """A failure an earlier run stored still counts as a failure, unless it is retried now."""
    if options.retry_failed:
        return
    for sample, digest in zip(samples, content):
        previous = stored.get((sample.id, digest))
        if previous is not None and previous.error is not None:
            summary.failed += 1
            summary.stored -= 1
            summary.failures.append((sample.id, f"{previous.error} (stored by an earlier run)"))


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _score(metric: Metric, items: list[Decoded]) -> list:
    import torch

    refs = [d.ref for d in items] if metric.kind == "FR" else None
    with torch.inference_mode():
        scores = list(metric.score_batch([d.image for d in items], refs))
    if len(scores) != len(items):
        raise IqabenchError(f"metric returned {len(scores)} scores for {len(items)} images")
    return scores


def score_decoded(metric: Metric, batch: list[Decoded]) -> dict[int, tuple[float | None, str | None]]:
    """Score the decoded items of a batch; when the batch raises, retry one by one to isolate the culprit."""
    results: dict[int, tuple[float | None, str | None]] = {d.index: (None, d.error) for d in batch if d.error}
    good = [d for d in batch if d.error is None]
    if not good:
        return results
    try:
        scores = _score(metric, good)
    except Exception as exc:  # any metric error becomes a per-image failure, never a crash of the run
        if len(good) == 1:
            results[good[0].index] = (None, _failure(exc))
            return results
        for item in good:
            results.update(score_decoded(metric, [item]))
        return results
    for item, value in zip(good, scores):
        try:
            results[item.index] = (check_score(value), None)
        except (TypeError, ValueError) as exc:
            results[item.index] = (None, str(exc))
    return results


def _batches(pending: Sequence[Sample], metric: Metric, options: RunOptions):
    """Decoded batches: in this process when there are no workers, else through a DataLoader."""
    import torch

    from .decoding import DecodeDataset, collate

    workers = options.num_workers if options.num_workers is not None else default_workers()
    torch.set_num_threads(scoring_threads(workers))
    decoder = DecodeDataset(pending, metric, options.max_pixels or settings.max_pixels())
    size = options.batch_size or metric.batch_size
    if workers == 0:
        for start in range(0, len(pending), size):
            yield [decoder[i] for i in range(start, min(start + size, len(pending)))]
        return
    from torch.utils.data import DataLoader

    yield from DataLoader(decoder, batch_size=size, num_workers=workers, collate_fn=collate, shuffle=False)


def _versions(plugin_versions: dict[str, str] | None) -> dict:
    import torch

    return {
        "iqabench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "plugins": dict(plugin_versions or {}),
        "argv": " ".join(sys.argv[1:]),
    }
