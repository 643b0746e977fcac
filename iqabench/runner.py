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

Memory: images are decoded one by one and a batch is cut before its decoded pixels (images and
references) would pass :func:`iqabench.settings.batch_pixels` (``IQABENCH_BATCH_PIXELS``, default twice the per-image
limit ``max_pixels``): a decoded pixel takes 12 bytes (float32 × 3 channels), so the default 100
megapixels per image is 1.2 GB and a batch at most 2.4 GB. In memory at once: one batch, the next
image, and with decoding workers up to two images per worker.

Where the pending samples are decoded and scored is an :class:`Executor`: :class:`LocalExecutor` (this
process, as described above) or, with ``--executor ray``, the actors of a Ray cluster
(:mod:`iqabench.executors.ray_executor`). Either way this process alone claims samples and writes the store.

Two runs of one metric on one dataset split the work: each claims the samples it is about to decode
(:meth:`~iqabench.store.ScoreStore.claim`) and skips those another live run has claimed, scoring
at the end whatever that run has not stored by then. Each run counts only the rows it wrote;
the scores another run wrote count as stored.

torch is imported only when there is something to score.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Protocol, Sequence

from . import __version__, settings
from .dataset import Dataset, Sample
from .errors import DatasetError, IqabenchError, UsageError
from .metric import Identity, Metric, check_score, weights_hash
from .store import (UNREADABLE, UNREADABLE_REFERENCE, NotAFile, SampleHashes, ScoreKey, ScoreStore, StoredScore,
                    StoreError, pair_hash)

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
    #: decoded pixels (images and references) per batch; default :func:`iqabench.settings.batch_pixels`.
    batch_pixels: int | None = None


#: seconds between two looks at samples another live run has claimed, once nothing else is left.
CLAIM_POLL_SECONDS = 0.5


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


@dataclass(frozen=True)
class Loaded:
    """A metric loaded by an executor: where it runs (recorded with the run) and the weight files it read."""

    device: str
    weights: dict[str, str]


#: one scored sample: (index among the run's pending samples, score, failure reason, seconds per image).
Result = tuple[int, float | None, str | None, float]


class Executor(Protocol):
    """Where a run's pending samples are decoded and scored. :func:`run_metric` asks the store what is
    pending, claims it and writes every result through :class:`Work`; the executor only loads and scores."""

    def load(self, metric: Metric, options: RunOptions, pending: int | None) -> Loaded:
        """Load ``metric`` where it will score ``pending`` samples (None: not yet known)."""

    def score(self, metric: Metric, work: "Work", options: RunOptions, progress) -> None:
        """Score the pending samples of ``work``: claim them through it, record each batch through it."""

    def close(self) -> None:
        """Release what :meth:`load` started (processes, a cluster connection)."""


class LocalExecutor:
    """Today's path: the metric loads in this process, which decodes (optionally with DataLoader workers)
    and scores the batches itself."""

    def load(self, metric: Metric, options: RunOptions, pending: int | None) -> Loaded:
        return Loaded(str(_load(metric, options)), dict(metric.weights))

    def score(self, metric: Metric, work: "Work", options: RunOptions, progress) -> None:
        _score_pending(metric, work, options, progress)

    def close(self) -> None:
        """Nothing to release: the metric stays loaded in its object, as it always has."""


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
    if metric.kind == "FR" and not all(s.ref_path is not None for s in (*dataset.samples, *dataset.missing)):
        raise UsageError(
            f"{metric.name} is a full-reference metric and dataset {dataset.name!r} has no reference images"
            + (" (its label file names none)" if dataset.card.kind != "NR" else "")
            + "; choose a no-reference metric or a full-reference dataset"
        )


def selected(dataset: Dataset, options: RunOptions) -> list[Sample]:
    """The samples a run goes through: those present (the first ``limit`` of them when a limit is set), then
    those refused when the dataset was opened (:attr:`Dataset.refused`), each a failure with its reason."""
    present = dataset.samples[: options.limit] if options.limit is not None else dataset.samples
    return present + [refusal.sample for refusal in getattr(dataset, "refused", ())]


def hash_samples(store: ScoreStore, dataset: Dataset, samples: Sequence[Sample]) -> dict[str, SampleHashes]:
    """Content hashes of ``samples`` (and of each with its reference), by sample id.

    A sample refused when the dataset was opened (:attr:`Dataset.refused`) gets its reason instead. A
    file that cannot be read now (deleted since the dataset was listed, permission denied, an I/O
    error, replaced by a FIFO or a folder) gives its sample the hash ``UNREADABLE`` (its reference:
    ``UNREADABLE_REFERENCE``) and the reason, which :func:`run_metric` records as its failure."""
    known = dataset.file_stats
    refused = {refusal.sample.id: refusal for refusal in getattr(dataset, "refused", ())}
    pairs = [(s.id, os.fspath(s.path), os.fspath(s.ref_path) if s.ref_path is not None else None) for s in samples]
    # a refused file is never opened, not even to hash it; a sample refused for its reference alone
    # keeps its image, which a no-reference metric may score
    names = {name for sid, image, ref in pairs if sid not in refused or refused[sid].reference
             for name in (image, ref if sid not in refused else None) if name is not None}
    failures: dict[str, OSError] = {}
    digests = store.content_hashes({name: known.get(name) for name in names}, failures)
    hashes = {}
    for sid, image, ref in pairs:
        refusal = refused.get(sid)
        if refusal is not None and not refusal.reference:
            hashes[sid] = SampleHashes(UNREADABLE, UNREADABLE if ref is not None else None, error=refusal.reason)
        elif image in failures:
            hashes[sid] = SampleHashes(UNREADABLE, UNREADABLE if ref is not None else None,
                                       error=unreadable_reason(failures[image]))
        elif refusal is not None:
            hashes[sid] = SampleHashes(digests[image], UNREADABLE_REFERENCE, ref_error=refusal.reason)
        elif ref is not None and ref in failures:
            hashes[sid] = SampleHashes(digests[image], UNREADABLE_REFERENCE,
                                       ref_error="its reference image: " + unreadable_reason(failures[ref]))
        else:
            hashes[sid] = SampleHashes(digests[image], pair_hash(digests[image], digests[ref]) if ref is not None else None)
    return hashes


def unreadable_reason(exc: OSError) -> str:
    """Why a listed file could not be read when the run hashed it, and what to do."""
    if isinstance(exc, PermissionError):
        return "permission denied: the file exists but this user cannot read it; check its permissions"
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return ("deleted while the run was starting: the file was listed, then removed (or a folder on its path "
                "replaced); restore it, or run again to count it as missing")
    if isinstance(exc, NotAFile):
        return f"not an image file: {exc.kind} replaced the file after it was listed; put the image back"
    if isinstance(exc, IsADirectoryError):
        return "not an image file: a directory replaced the file after it was listed; put the image back"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return (f"cannot read the file: {reason} (errno {exc.errno}); the disk or network share may be failing, "
            "copy the file again or check the disk")


@dataclass(frozen=True)
class Decoded:
    """A decoded sample, or the reason it could not be decoded."""

    index: int
    image: "torch.Tensor | None"
    ref: "torch.Tensor | None"
    error: str | None

    @property
    def pixels(self) -> int:
        """Decoded pixels held (image and reference; a channel is not a pixel)."""
        return sum(t.shape[-1] * t.shape[-2] for t in (self.image, self.ref) if t is not None)


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
    """Score every sample of ``dataset`` that ``store`` lacks for ``metric``; see the module docstring.

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
    # a file that cannot be read is a failure of every run; it is written again only when its reason changed
    unchanged = {i for i, reason in unreadable.items() if (previous := stored.get((samples[i].id, content[i])))
                 is not None and previous.error == reason}
    for i in sorted(unchanged):
        summary.failed += 1
        summary.failures.append((samples[i].id, unreadable[i]))
    unreadable = {i: reason for i, reason in unreadable.items() if i not in unchanged}
    if not pending and not unreadable:
        return summary
    if pending and loaded is None:
        loaded = executor.load(metric, options, len(pending))
        _check_declared_weights(identity, metric.name, loaded.weights)
    if loaded is not None:
        summary.device = loaded.device
    summary.run_id = store.begin_run(
        key, metric_config=identity.config, weights=identity.weights or {}, dataset_root=str(dataset.root.resolve()),
        device=summary.device, host=socket.gethostname(), versions=_versions(plugin_versions), labels_id=labels_id)
    work = Work(store, key, summary, [samples[i] for i in pending], [content[i] for i in pending],
                 # a retried failure is replaced only while it is the one this run saw
                 [stored[(samples[i].id, content[i])].run_id if (samples[i].id, content[i]) in stored else None
                  for i in pending])
    started = time.perf_counter()
    status, error = "interrupted", None
    try:
        if unreadable:  # failures found before decoding (hashing, or refused when the dataset was opened)
            rows = [(samples[i].id, content[i], None, reason, 0.0) for i, reason in unreadable.items()]
            previous = {(samples[i].id, content[i]): stored[(samples[i].id, content[i])].run_id
                        for i in unreadable if (samples[i].id, content[i]) in stored}
            work.tally(rows, store.record(key, summary.run_id, rows, expected=previous))
        if pending:
            executor.score(metric, work, options, progress)
        status = "completed"
    except StoreError as exc:
        status, error = "failed", str(exc)
        raise
    except Exception as exc:
        status, error = "failed", _failure(exc)
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
    return summary


def _load(metric: Metric, options: RunOptions) -> "torch.device":
    device = resolve_device(options.device)
    metric.load(device)
    return device


def _loaded_identity(identity: Identity, weights: dict[str, str]) -> Identity:
    files = dict(weights)
    return Identity(identity.name, identity.config, identity.config_hash, files, weights_hash(files))


def _check_declared_weights(identity: Identity, name: str, weights: dict[str, str]) -> None:
    """A metric that declared its weight files must load exactly those (else its scores are mis-keyed)."""
    if weights and weights != identity.weights:
        raise IqabenchError(
            f"metric {name!r} declared the weight files {identity.weights} but loaded {weights}; "
            "its weight_files() must name exactly what load() reads")


class Work:
    """The pending samples of one run: claiming them in the store, and counting what became of each."""

    def __init__(self, store: ScoreStore, key: ScoreKey, summary: RunSummary, samples: list[Sample],
                 content: list[str], expected: list[int | None]) -> None:
        self.store, self.key, self.summary = store, key, summary
        self.samples, self.content = samples, content
        self.expected = {(s.id, h): run for s, h, run in zip(samples, content, expected) if run is not None}
        self.index = {(s.id, h): i for i, (s, h) in enumerate(zip(samples, content))}
        #: samples another live run had claimed when this one reached them.
        self.deferred: list[int] = []
        self.progress = None
        self.task = None

    def claim(self, indices: Sequence[int]) -> list[int]:
        """Claim ``indices`` for this run; returns those to decode now. Those another run has stored since
        are counted, those another live run holds are deferred."""
        pairs = [(self.samples[i].id, self.content[i]) for i in indices]
        result = self.store.claim(self.key, self.summary.run_id, pairs, self.expected)
        for pair, row in result.done.items():
            self._count_kept(row)
        self.advance(len(result.done))
        self.deferred.extend(self.index[pair] for pair in result.busy)
        return [self.index[pair] for pair in result.claimed]

    def claimed(self, chunk: int) -> Iterator[int]:
        """Every pending index in order, claimed ``chunk`` at a time, skipping those claimed elsewhere."""
        for start in range(0, len(self.samples), chunk):
            yield from self.claim(range(start, min(start + chunk, len(self.samples))))

    def claim_deferred(self) -> list[int]:
        """The deferred samples this run may score now; waits while another live run holds them all, and
        returns [] once every one is stored by the other run."""
        while self.deferred:
            waiting, self.deferred = self.deferred, []
            ready = self.claim(waiting)
            if ready:
                return ready
            if self.deferred:
                time.sleep(CLAIM_POLL_SECONDS)
        return []

    def record(self, rows: list[tuple[str, str, float | None, str | None, float]]) -> None:
        self.tally(rows, self.store.record(self.key, self.summary.run_id, rows, self.expected))
        self.advance(len(rows))

    def record_results(self, results: Iterable[Result]) -> None:
        """Commit the results of one batch (indices among the pending samples) in one transaction."""
        self.record([(self.samples[index].id, self.content[index], value, error, seconds)
                     for index, value, error, seconds in results])

    def track(self, progress, description: str) -> None:
        """Show this run as one task of ``progress`` (None: no progress shown)."""
        if progress is not None:
            self.progress = progress
            self.task = progress.add_task(description, total=len(self.samples))

    def tally(self, rows, outcome: list[StoredScore | None]) -> None:
        """Count each row: written by this run (scored or failed), or kept as another run stored it."""
        for (sid, _, score, error, _), kept in zip(rows, outcome):
            if kept is not None:
                self._count_kept(kept)
            elif error is None:
                self.summary.scored += 1
            else:
                self.summary.failed += 1
                self.summary.failures.append((sid, error))

    def _count_kept(self, row: StoredScore) -> None:
        if row.error is None:
            self.summary.stored += 1
        else:
            self.summary.failed += 1
            self.summary.failures.append((row.sample_id, f"{row.error} (stored by another run)"))

    def advance(self, count: int) -> None:
        if self.progress is not None and count:
            self.progress.advance(self.task, count)


def _score_pending(metric: Metric, work: Work, options: RunOptions, progress) -> None:
    """Decode and score the pending samples in batches, each committed as it is scored; then those another
    run had claimed and not stored meanwhile."""
    import torch

    from .decoding import DecodeDataset

    work.track(progress, f"{metric.name} on {work.summary.dataset}")
    workers = options.num_workers if options.num_workers is not None else default_workers()
    torch.set_num_threads(scoring_threads(workers))
    max_pixels = options.max_pixels or settings.max_pixels()
    budget = options.batch_pixels or settings.batch_pixels(max_pixels)
    size = options.batch_size or metric.batch_size
    decoder = DecodeDataset(work.samples, metric, max_pixels)

    def score(items: Iterable[Decoded]) -> None:
        for results in score_batches(metric, items, size, budget):
            work.record_results(results)

    score(_decoded(decoder, work.claimed(max(size, 16)), workers))
    while ready := work.claim_deferred():  # few, usually: decoded here
        score(decoder[i] for i in ready)


def score_batches(metric: Metric, items: Iterable[Decoded], size: int, budget: int) -> Iterator[list[Result]]:
    """Cut decoded items into batches (:func:`cut_batches`) and score each (:func:`score_decoded`): one list
    of results per batch, in index order, each with the batch's seconds per image."""
    for batch in cut_batches(items, size, budget):
        started = time.perf_counter()
        results = score_decoded(metric, batch)
        per_image = (time.perf_counter() - started) / len(batch)
        yield [(index, value, error, per_image) for index, (value, error) in sorted(results.items())]


def cut_batches(items: Iterable[Decoded], size: int, budget: int) -> Iterator[list[Decoded]]:
    """Batches of at most ``size`` decoded items, cut before the decoded pixels would pass ``budget`` (an item
    larger than the budget is a batch alone). Items arrive one by one, so at most one batch and the
    next item are held here."""
    batch: list[Decoded] = []
    pixels = 0
    for item in items:
        if batch and pixels + item.pixels > budget:
            yield batch
            batch, pixels = [], 0
        batch.append(item)
        pixels += item.pixels
        if len(batch) >= size:
            yield batch
            batch, pixels = [], 0
    if batch:
        yield batch


def _decoded(decoder, indices: Iterator[int], workers: int) -> Iterator[Decoded]:
    """The decoded items of ``indices``, in order: in this process when there are no workers, else one by one
    through a DataLoader (which reads ``indices`` as it goes, so samples are claimed just ahead of decoding)."""
    if workers == 0:
        for index in indices:
            yield decoder[index]
        return
    from torch.utils.data import DataLoader

    from .decoding import as_is

    yield from DataLoader(decoder, batch_size=None, sampler=_Indices(indices), num_workers=workers,
                          collate_fn=as_is, prefetch_factor=2)


class _Indices:
    """An iterator of indices as a DataLoader sampler (read once)."""

    def __init__(self, indices: Iterator[int]) -> None:
        self.indices = indices

    def __iter__(self) -> Iterator[int]:
        return self.indices


def _count_stored_failures(summary: RunSummary, stored: dict[tuple[str, str], StoredScore], samples, content,
                           options: RunOptions, skip: Mapping[int, str] = {}) -> None:
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


def _versions(plugin_versions: dict[str, str] | None) -> dict:
    return {
        "iqabench": __version__,
        "python": platform.python_version(),
        "torch": _torch_version(),
        "plugins": dict(plugin_versions or {}),
        "argv": " ".join(sys.argv[1:]),
    }


def _torch_version() -> str:
    """torch's version, without importing it for a run that scores nothing (unreadable files only)."""
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("torch")
    except PackageNotFoundError:
        return "not installed"
