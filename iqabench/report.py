"""The result table and failure list printed after ``iqabench run``."""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import numpy as np
from rich.console import Console
from rich.table import Table

from .dataset import Dataset
from .metric import Metric
from .runner import RunSummary
from .stats import correlations, grouped, signed


def result_table(summaries: Sequence[RunSummary], metrics: Sequence[Metric], dataset: Dataset) -> Table:
    """One row per metric: counts, then signed SRCC, PLCC, KRCC, PRA (and their means over groups)."""
    labelled = any(s.mos is not None for s in dataset.samples)
    by_group = dataset.card.group_by is not None
    title = f"{dataset.name}: {dataset.card.title}" if dataset.card.title else dataset.name
    table = Table(title=title, caption=_caption(dataset, metrics))
    for column in ("metric", "scored", "stored", "missing", "failed"):
        table.add_column(column, justify="right" if column != "metric" else "left")
    stats_columns = ["SRCC", "PLCC", "KRCC", "PRA"] if labelled else []
    if labelled and by_group:
        stats_columns += [f"SRCC/{dataset.card.group_by}", f"PRA/{dataset.card.group_by}"]
    for column in stats_columns:
        table.add_column(column, justify="right")
    mos = {s.id: s.mos for s in dataset.samples}
    group = {s.id: s.group for s in dataset.samples}
    for summary, metric in zip(summaries, metrics):
        row = [metric.name, str(summary.scored), str(summary.skipped), str(summary.missing), str(summary.failed)]
        if labelled:
            ids = [i for i in summary.scores if mos.get(i) is not None]
            pred, truth = signed([summary.scores[i] for i in ids], [mos[i] for i in ids],
                                 lower_better=metric.lower_better, higher_better=dataset.card.higher_better)
            c = correlations(pred, truth)
            row += [_fmt(c.srcc), _fmt(c.plcc), _fmt(c.krcc), _fmt(c.pra)]
            if by_group:
                g = grouped(pred, truth, np.array([group[i] for i in ids], dtype=object))
                row += [_fmt(g.srcc), _fmt(g.pra)]
        table.add_row(*row)
    return table


def _caption(dataset: Dataset, metrics: Sequence[Metric]) -> str:
    lower = [m.name for m in metrics if m.lower_better]
    parts = ["signed statistics: positive means the metric agrees with the subjective scores"]
    if lower:
        parts.append(f"lower-is-better metrics negated: {', '.join(lower)}")
    if not dataset.card.higher_better:
        parts.append("labels are lower-is-better (DMOS) and were negated")
    return "; ".join(parts)


def _fmt(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.4f}"


def print_failures(console: Console, summary: RunSummary, first: int = 5) -> None:
    """The failure count, the most common reasons, and the first failing images."""
    if summary.missing:
        console.print(f"{summary.metric}: {summary.missing} image(s) missing from {summary.dataset} "
                      f"(first: {', '.join(summary.missing_ids[:first])})", highlight=False)
    if not summary.failed:
        return
    console.print(f"[red]{summary.metric}: {summary.failed} image(s) failed[/]; reasons:", highlight=False)
    reasons = Counter(reason for _, reason in summary.failures)
    for reason, count in reasons.most_common(first):
        example = next(sid for sid, r in summary.failures if r == reason)
        console.print(f"  {count} × {reason} (e.g. {example})", highlight=False)
    console.print(f"  all failures: iqabench export --metric {summary.metric} --dataset {summary.dataset}",
                  highlight=False)
