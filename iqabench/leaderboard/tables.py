"""Results as printed cells: one place decides columns, order and precision for every renderer."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..report import column_label, p_value, statistic_keys
from ..stats.bootstrap import Interval
from .build import DatasetResult
from .provenance import provenance

#: decimals printed for every statistic; ``check`` compares numbers at this precision.
PRECISION = 4
COUNTS = ["scored", "missing", "failed"]
#: significance level of the "not significantly worse than the best" mark.
ALPHA = 0.05
TOP = "top"
#: the statistics compared pairwise in the comparison table, with their parametric test.
PAIRED = (("srcc", "Steiger", "steiger_srcc"), ("plcc", "Williams", "williams_plcc"), ("rmse", "F P.1401", "f_rmse"))


@dataclass
class Table:
    """One dataset's tables (statistics, and pairwise comparisons), notes and provenance."""

    dataset: str
    title: str
    header: list[str]
    rows: list[list[str]]
    pairs_header: list[str]
    pairs: list[list[str]]
    notes: list[str]
    provenance: list[tuple[str, str]]


def fmt(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{PRECISION}f}"


def interval_cell(interval: Interval | None) -> str:
    """``0.4376 [0.3612, 0.5071]``; the estimate alone when it has no interval; ``n/a`` when undefined."""
    if interval is None or not math.isfinite(interval.estimate):
        return "n/a"
    if not math.isfinite(interval.low):
        return fmt(interval.estimate)
    return f"{fmt(interval.estimate)} [{fmt(interval.low)}, {fmt(interval.high)}]"


def dataset_table(result: DatasetResult, date: str) -> Table:
    """Rows ranked by signed SRCC (see :meth:`DatasetResult.ranked`)."""
    evaluation = result.evaluation
    keys = statistic_keys(evaluation)
    tied = evaluation.tied_with_best("srcc", ALPHA) if len(result.rows) > 1 else set()
    header = ["metric", "better", *COUNTS, TOP, *(column_label(k) for k in keys)]
    rows = []
    for r in result.ranked():
        metric = evaluation.metric(r.metric)
        rows.append([r.metric, "lower" if r.lower_better else "higher", str(r.scored), str(r.missing),
                     str(r.failed), "✓" if r.metric in tied else "",
                     *(interval_cell(metric.intervals.get(k)) for k in keys)])
    pairs_header, pairs = comparison_rows(result)
    card = result.dataset.card
    return Table(card.name, card.title or card.name, header, rows, pairs_header, pairs, _notes(result),
                 provenance(result, date))


def comparison_rows(result: DatasetResult) -> tuple[list[str], list[list[str]]]:
    """Every two metrics, the better-ranked one as A: A − B with its interval, the paired bootstrap
    p-value, and the parametric test's p-value, for SRCC, PLCC and RMSE."""
    header = ["A", "B", "n"]
    for key, test, _ in PAIRED:
        label = column_label(key)
        header += [f"Δ{label} (A − B)", f"p {label} (bootstrap)", f"p {label} ({test})"]
    evaluation = result.evaluation
    order = [r.metric for r in result.ranked()]
    rows = []
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            comparison, sign = evaluation.comparison(a, b)
            row = [a, b, str(comparison.n)]
            for key, _, attribute in PAIRED:
                difference = comparison.differences.get(key)
                test = getattr(comparison, attribute)
                if difference is None:
                    row += ["n/a"] * 3
                    continue
                row += [interval_cell(difference.interval.times(sign)),
                        p_value(difference.p_value, evaluation.resamples), p_value(test.p_value) if test else "n/a"]
            rows.append(row)
    return header, rows


def _notes(result: DatasetResult) -> list[str]:
    evaluation = result.evaluation
    level = f"{evaluation.level:.0%}"
    notes = [
        "Signed statistics: positive means the metric agrees with the subjective scores. PLCC and RMSE are "
        "computed after the VQEG 4-parameter logistic mapping; RMSE is in label units, lower is better.",
        f"[low, high]: {level} percentile bootstrap interval, {evaluation.resamples} paired resamples of the images "
        f"(seed {evaluation.seed}); the mapping is fitted once on all images.",
        f"{TOP} ✓: the best metric by SRCC and every metric whose SRCC is not significantly lower "
        f"(paired bootstrap, p ≥ {ALPHA}).",
        f"Pairwise p-values are two-sided; a bootstrap p-value cannot go below {2 / (evaluation.resamples + 1):.3f} "
        f"with {evaluation.resamples} resamples, and is printed ≤{2 / (evaluation.resamples + 1):.3f} there.",
    ]
    lower = [r.metric for r in result.rows if r.lower_better]
    if lower:
        notes.append(f"Lower-is-better metrics were negated: {', '.join(lower)}.")
    if not result.dataset.card.higher_better:
        notes.append("The labels are lower-is-better (DMOS) and were negated.")
    group = result.dataset.card.group_by
    if group:
        notes.append(f"X/{group}: the statistic within each {group}, then the mean over them; its interval "
                     f"resamples whole {group}s.")
    notes += [note for m in evaluation.metrics for note in m.notes]
    return notes
