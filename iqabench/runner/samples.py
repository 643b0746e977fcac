"""Which samples a run goes through, and refusing, before anything runs, a dataset its metric cannot score."""

from __future__ import annotations

from ..dataset import Dataset, Sample
from ..errors import DatasetError, UsageError
from ..metric import Metric
from .options import RunOptions


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
