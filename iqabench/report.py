"""The tables printed by ``iqabench run`` and ``iqabench stats``: each statistic with its interval, the
pairwise comparisons of the metrics, and the failure list."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from .dataset import DatasetCard
from .runner import RunSummary
from .stats.bootstrap import Interval
from .stats.evaluate import GROUPED_LABELS, LABELS, Evaluation

#: the columns where lower is better (all others: higher is better, after signing).
LOWER_IS_BETTER = {"rmse"}


def statistic_keys(evaluation: Evaluation) -> list[str]:
    """Statistic keys in table order: the overall ones, then the grouped ones when there are groups."""
    keys = list(LABELS)
    if evaluation.group_by:
        keys += [f"{key}/{evaluation.group_by}" for key in GROUPED_LABELS]
    return keys


def column_label(key: str) -> str:
    base, _, group = key.partition("/")
    label = (GROUPED_LABELS if group else LABELS)[base]
    return f"{label}/{group}" if group else label


def cell(interval: Interval | None) -> str:
    """``0.4376`` over ``[0.361, 0.507]``; ``n/a`` when undefined."""
    if interval is None or not math.isfinite(interval.estimate):
        return "n/a"
    if not math.isfinite(interval.low):
        return f"{interval.estimate:.4f}"
    return f"{interval.estimate:.4f}\n[{interval.low:.3f}, {interval.high:.3f}]"


def statistics_table(evaluation: Evaluation, card: DatasetCard, counts: dict[str, list[str]] | None = None) -> Table:
    """One row per metric, best SRCC first: its ``counts`` (metric -> column -> cell), then each statistic
    over its interval."""
    title = f"{card.name}: {card.title}" if card.title else card.name
    table = Table(title=title, caption=caption(evaluation, card), show_lines=True)
    table.add_column("metric")
    count_columns = list(next(iter(counts.values()))) if counts else []
    for column in count_columns:
        table.add_column(column, justify="right")
    keys = statistic_keys(evaluation)
    for key in keys:
        table.add_column(column_label(key), justify="right")
    for metric in evaluation.ranked():
        row = [metric.name, *(counts[metric.name].values() if counts else [])]
        table.add_row(*row, *(cell(metric.intervals.get(key)) for key in keys))
    return table


def caption(evaluation: Evaluation, card: DatasetCard) -> str:
    level = f"{evaluation.level:.0%}"
    parts = [f"each statistic over its {level} bootstrap interval ({evaluation.resamples} resamples of images, "
             f"seed {evaluation.seed})",
             "signed: positive means the metric agrees with the subjective scores",
             "PLCC and RMSE after the VQEG 4-parameter logistic mapping; RMSE in label units, lower is better"]
    lower = [m.name for m in evaluation.metrics if m.lower_better]
    if lower:
        parts.append(f"lower-is-better metrics negated: {', '.join(lower)}")
    if not card.higher_better:
        parts.append("labels are lower-is-better (DMOS) and were negated")
    if evaluation.group_by:
        parts.append(f"X/{evaluation.group_by}: mean over each {evaluation.group_by}, resampling whole "
                     f"{evaluation.group_by}s")
    return "; ".join(parts)


def comparisons_table(evaluation: Evaluation) -> Table:
    """Every two metrics on the images both scored: the SRCC difference with its interval and paired
    bootstrap p-value, Steiger's Z on SRCC, Williams' t on PLCC and the P.1401 F-test on RMSE."""
    level = f"{evaluation.level:.0%}"
    table = Table(title=f"Pairwise comparisons (paired bootstrap, {level} intervals of A − B)", show_lines=True)
    for column in ("A", "B", "n", "ΔSRCC", "p boot", "p Steiger", "ΔPLCC", "p boot", "p Williams", "ΔRMSE",
                   "p boot", "p F P.1401"):
        table.add_column(column, justify="left" if column in ("A", "B") else "right")
    order = [m.name for m in evaluation.ranked()]
    for comparison in evaluation.comparisons:
        a, b = sorted((comparison.a, comparison.b), key=order.index)
        c, sign = evaluation.comparison(a, b)
        row = [a, b, str(c.n)]
        for key, test in (("srcc", c.steiger_srcc), ("plcc", c.williams_plcc), ("rmse", c.f_rmse)):
            difference = c.differences.get(key)
            if difference is None:
                row += ["n/a"] * 3
                continue
            row += [cell(difference.interval.times(sign)), p_value(difference.p_value, evaluation.resamples),
                    p_value(test.p_value) if test else "n/a"]
        table.add_row(*row)
    return table


def p_value(p: float, resamples: int | None = None) -> str:
    """Three decimals; a bootstrap p-value at its floor, 2 / (resamples + 1) (no resample crossed zero),
    is a bound and printed as one: ``≤0.002`` for 1,000 resamples."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if resamples is not None and p <= 2.0 / (resamples + 1) * (1 + 1e-9):
        return f"≤{2.0 / (resamples + 1):.3f}"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def print_notes(console: Console, evaluation: Evaluation) -> None:
    for metric in evaluation.metrics:
        for note in metric.notes:
            console.print(f"note: {note}", highlight=False)


def run_counts(summaries: Sequence[RunSummary]) -> dict[str, dict[str, str]]:
    """The count columns of ``iqabench run``: scored now, stored before, missing, failed."""
    return {s.metric: {"scored": str(s.scored), "stored": str(s.skipped), "missing": str(s.missing),
                       "failed": str(s.failed)} for s in summaries}


def counts_table(title: str, summaries: Sequence[RunSummary]) -> Table:
    """Counts alone, for a dataset without labels."""
    table = Table("metric", "scored", "stored", "missing", "failed", title=title)
    for metric, counts in run_counts(summaries).items():
        table.add_row(metric, *counts.values())
    return table


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
