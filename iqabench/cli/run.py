"""``iqabench run``: score a dataset with metrics (only what the store lacks) and print the results."""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path

import click

from . import options
from .console import EXIT_FAILURES, EXIT_INTERRUPTED, EXIT_OK, handles_errors, print_failures, say
from .logs import prints_to_log


@click.command(short_help="Score a dataset with metrics; print statistics.")
@click.option("--metric", "-m", "metrics", multiple=True, required=True, help="Metric name (repeatable).")
@click.option("--dataset", "-d", "dataset_name", required=True, help="Dataset name (iqabench list datasets).")
@click.option("--root", type=click.Path(path_type=Path), help="Dataset folder (default: the card's root).")
@click.option("--labels", type=click.Path(path_type=Path), help="Label file, for datasets that take one (metainfo).")
@click.option("--subset", metavar="FILE[:PART]",
              help="Score only the samples a file lists: a text file of ids, or a JSON file's list PART.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per batch (default: per metric).")
@click.option("--workers", type=click.IntRange(min=0),
              help="Decoding worker processes (default: none below 4 cores, else cores / 4, at most 4).")
@options.store
@options.offline
@options.executor
@click.option("--allow-missing", is_flag=True, help="Score the images present; record how many are missing.")
@click.option("--limit", type=click.IntRange(min=1), help="Score only the first N images.")
@click.option("--max-pixels", type=click.IntRange(min=1),
              help="Reject larger images (also IQABENCH_MAX_PIXELS; default 100,000,000: 1.2 GB decoded, "
                   "12 bytes a pixel).")
@click.option("--batch-pixels", type=click.IntRange(min=1),
              help="Cut a batch before its decoded pixels pass N (also IQABENCH_BATCH_PIXELS; default twice "
                   "--max-pixels).")
@click.option("--retry-failed", is_flag=True, help="Score again the images that failed in an earlier run.")
@options.resamples
@options.seed
@options.output_format
@options.verbose
@handles_errors
def run(metrics, dataset_name, root, labels, subset, device, batch_size, workers, store_path, offline, executor_name,
        address, actors, cpus_per_actor, gpus_per_actor, allow_missing, limit, max_pixels, batch_pixels, retry_failed,
        resamples, seed, output_format) -> None:
    """Score a dataset with one or more metrics (only what the store lacks) and print each statistic
    with its bootstrap interval, and the pairwise comparisons of the metrics."""
    from .. import api, settings
    from ..runner import RunOptions
    from .formats import show

    run_options = RunOptions(device=device, batch_size=batch_size, num_workers=workers, allow_missing=allow_missing,
                             limit=limit, max_pixels=max_pixels, retry_failed=retry_failed, batch_pixels=batch_pixels)
    executor = options.make_executor(executor_name, address, actors, cpus_per_actor, gpus_per_actor)
    with settings.overrides(offline=offline), closing(executor), _progress() as progress, prints_to_log():
        try:
            result = api.run(metrics, dataset_name, root=root, labels=labels, subset=subset, store=store_path,
                             options=run_options, resamples=resamples, seed=seed, progress=progress,
                             executor=executor)
        except KeyboardInterrupt:
            progress.stop()
            say("interrupted: every batch scored so far is in the store; run again to resume.", error=True)
            sys.exit(EXIT_INTERRUPTED)
    aside = output_format != "table"  # stdout holds the document alone
    say(f"store: {result.store}", error=aside)
    for s in result.summaries:
        say(f"{s.metric}: {s.scored} scored now, {s.stored} stored, {s.missing} missing, {s.failed} failed"
            + (f" ({s.device}, {s.seconds:.1f} s)" if s.run_id is not None else ""), error=aside)
    show(result.results, output_format,
         {"store": str(result.store), "runs": [_run_record(s) for s in result.summaries]})
    for s in result.summaries:
        if s.missing:
            say(f"{s.metric}: {s.missing} image(s) missing from {s.dataset} (first: {', '.join(s.missing_ids[:5])})",
                error=True)
        print_failures(s.metric, s.dataset, s.failures, result.store)
    sys.exit(EXIT_FAILURES if any(s.failed for s in result.summaries) else EXIT_OK)


def _run_record(summary) -> dict:
    """What one metric's run did, for JSON."""
    ran = summary.run_id is not None
    return {"metric": summary.metric, "scored_now": summary.scored, "stored": summary.stored,
            "missing": summary.missing, "failed": summary.failed, "device": summary.device if ran else None,
            "seconds": summary.seconds if ran else None}


def _progress():
    from .progress import progress_bar

    return progress_bar()
