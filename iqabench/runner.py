"""Scores the samples of one dataset with one metric, storing every result as it goes.

The runner asks the store which samples are already scored, decodes only the others in
DataLoader workers, scores them in batches on the device, and commits each batch. A batch that
raises is retried image by image, so one bad image fails alone; NaN is a failure, never a score.
Nothing is dropped silently: the summary counts scored, skipped, missing and failed samples.
"""

from __future__ import annotations

import os
import platform
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch.utils.data import DataLoader
from torch.utils.data import Dataset as TorchDataset

from . import __version__
from .dataset import Dataset, Sample
from .errors import DatasetError, IqabenchError
from .images import DEFAULT_MAX_PIXELS, load_image
from .metric import Metric, check_score
from .store import ScoreKey, ScoreStore


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
    metric: str
    dataset: str
    run_id: int
    total: int
    scored: int = 0
    skipped: int = 0
    missing: int = 0
    failed: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    failures: list[tuple[str, str]] = field(default_factory=list)
    missing_ids: list[str] = field(default_factory=list)
    #: sample id -> score of every sample scored now or earlier (the input of the statistics).
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.missing == 0


def resolve_device(name: str) -> torch.device:
    """``auto`` is cuda when a GPU is present, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise IqabenchError("--device cuda was asked for but no CUDA device is available; use --device cpu or auto")
    return torch.device(name)


def default_workers() -> int:
    """Decoding workers: one per spare core, at most 4; none on a single core."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class Decoded:
    """A decoded sample, or the reason it could not be decoded."""

    index: int
    image: torch.Tensor | None
    ref: torch.Tensor | None
    error: str | None


class _DecodeDataset(TorchDataset):
    """Decodes pending samples in DataLoader workers; failures travel as data, not exceptions."""

    def __init__(self, samples: Sequence[Sample], metric: Metric, max_pixels: int) -> None:
        self.samples = samples
        self.channels = metric.channels
        self.min_size = metric.min_size
        self.needs_ref = metric.kind == "FR"
        self.max_pixels = max_pixels

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Decoded:
        sample = self.samples[index]
        try:
            image = load_image(sample.path, self.channels, self.max_pixels, self.min_size)
            ref = None
            if self.needs_ref:
                if sample.ref_path is None:
                    raise IqabenchError("full-reference metric, but this sample has no reference image")
                ref = load_image(sample.ref_path, self.channels, self.max_pixels, self.min_size)
                if ref.shape != image.shape:
                    raise IqabenchError(
                        f"reference {tuple(ref.shape)} and distorted {tuple(image.shape)} image sizes differ"
                    )
        except IqabenchError as exc:
            return Decoded(index, None, None, str(exc))
        return Decoded(index, image, ref, None)


def _collate(items: list[Decoded]) -> list[Decoded]:
    return items


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()


def _score(metric: Metric, items: list[Decoded]) -> list:
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


def _content_hash(store: ScoreStore, sample: Sample, metric: Metric) -> str:
    """The image's sha256; for a full-reference metric, the distorted and reference hashes together."""
    digest = store.content_hash(sample.path)
    if metric.kind == "FR" and sample.ref_path is not None:
        digest = f"{digest[:32]}{store.content_hash(sample.ref_path)[:32]}"
    return digest


def run_metric(
    metric: Metric,
    dataset: Dataset,
    store: ScoreStore,
    options: RunOptions,
    *,
    plugin_versions: dict[str, str] | None = None,
    progress=None,
) -> RunSummary:
    """Score every sample of ``dataset`` not yet in ``store`` with ``metric``; see the module docstring.

    ``progress`` is an optional :class:`rich.progress.Progress` that gets one task for this run.
    """
    if dataset.missing and not options.allow_missing:
        first = ", ".join(s.id for s in dataset.missing[:5])
        raise DatasetError(
            f"{len(dataset.missing)} of {len(dataset.missing) + len(dataset.samples)} images of dataset "
            f"{dataset.name!r} are missing under {dataset.root} (first: {first}). Complete the download, "
            "or pass --allow-missing to score the images that are present (the summary records how many were missing)."
        )
    if metric.kind == "FR" and dataset.card.kind != "FR":
        raise IqabenchError(
            f"{metric.name} is a full-reference metric and dataset {dataset.name!r} has no reference images"
        )
    samples = dataset.samples[: options.limit] if options.limit is not None else dataset.samples
    device = resolve_device(options.device)
    metric.load(device)
    key = ScoreKey(metric.name, metric.config_hash(), metric.weights_hash(), dataset.name)

    store.put_labels(dataset.name, samples)
    hashes = [_content_hash(store, s, metric) for s in samples]
    stored = store.stored(key)
    pending_indices = [
        i
        for i, (s, h) in enumerate(zip(samples, hashes))
        if (s.id, h) not in stored or (options.retry_failed and stored[(s.id, h)].error is not None)
    ]
    summary = RunSummary(
        metric=metric.name,
        dataset=dataset.name,
        run_id=store.begin_run(
            key,
            metric_config=metric.config(),
            weights=metric.weights,
            dataset_root=str(dataset.root),
            device=str(device),
            host=socket.gethostname(),
            versions=_versions(plugin_versions),
        ),
        total=len(samples) + len(dataset.missing),
        skipped=len(samples) - len(pending_indices),
        missing=len(dataset.missing),
        device=str(device),
        missing_ids=[s.id for s in dataset.missing],
    )
    pending = [samples[i] for i in pending_indices]
    started = time.perf_counter()
    status = "interrupted"
    task = progress.add_task(f"{metric.name} on {dataset.name}", total=len(pending)) if progress else None
    try:
        for batch in _batches(pending, metric, options):
            batch_started = time.perf_counter()
            results = score_decoded(metric, batch)
            per_image = (time.perf_counter() - batch_started) / len(batch)
            rows = []
            for index, (score, error) in sorted(results.items()):
                sample = pending[index]
                rows.append((sample.id, hashes[pending_indices[index]], score, error, per_image))
                if error is None:
                    summary.scored += 1
                    summary.scores[sample.id] = score
                else:
                    summary.failed += 1
                    summary.failures.append((sample.id, error))
            store.add_scores(key, summary.run_id, rows)
            if progress is not None:
                progress.advance(task, len(rows))
        status = "completed"
    finally:
        summary.seconds = time.perf_counter() - started
        _collect_stored(summary, stored, samples, hashes, options)
        store.end_run(
            summary.run_id, status=status, total=summary.total, scored=summary.scored,
            skipped=summary.skipped, missing=summary.missing, failed=summary.failed,
        )
    return summary


def _collect_stored(summary: RunSummary, stored, samples, hashes, options: RunOptions) -> None:
    """Add the scores an earlier run stored; its failures, unless retried now, still count as failures."""
    for sample, digest in zip(samples, hashes):
        previous = stored.get((sample.id, digest))
        if previous is not None and previous.score is not None:
            summary.scores[sample.id] = previous.score
        elif previous is not None and not options.retry_failed:
            summary.failed += 1
            summary.skipped -= 1
            summary.failures.append((sample.id, f"{previous.error} (stored by an earlier run)"))


def _batches(pending: Sequence[Sample], metric: Metric, options: RunOptions):
    if not pending:
        return
    workers = options.num_workers if options.num_workers is not None else default_workers()
    loader = DataLoader(
        _DecodeDataset(pending, metric, options.max_pixels or DEFAULT_MAX_PIXELS),
        batch_size=options.batch_size or metric.batch_size,
        num_workers=workers,
        collate_fn=_collate,
        shuffle=False,
    )
    yield from loader


def _versions(plugin_versions: dict[str, str] | None) -> dict:
    return {
        "iqabench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "plugins": dict(plugin_versions or {}),
        "argv": " ".join(sys.argv[1:]),
    }
