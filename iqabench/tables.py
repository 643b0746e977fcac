"""The one table model: a dataset's results as printed cells, with their notes and provenance.

Every renderer (the console, markdown, CSV, HTML) draws a :class:`Table` and decides nothing about
columns, order or precision. Rows are ranked by signed SRCC; each statistic is
``estimate [low, high]`` (its bootstrap interval); a dataset without groups has no grouped columns,
one without labels only the counts. What compares metrics (the ``top`` column, the pairwise table and
their notes) is there only when two metrics or more are. :func:`dataset_record` holds the same rows as plain data for JSON,
each number at full precision (formatted by the functions here, it gives the table's cell).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import __version__
from .results import DatasetResults

if TYPE_CHECKING:
    from .stats.bootstrap import Interval
    from .stats.evaluate import Evaluation

#: statistic key -> column label, in table order (the keys of ``stats.evaluate.EVALUATED``).
LABELS = {"srcc": "SRCC", "plcc": "PLCC", "krcc": "KRCC", "pra": "PRA", "rmse": "RMSE"}
#: grouped statistics shown (the keys of ``stats.evaluate.EVALUATED_PER_GROUP``) -> label prefix.
GROUPED_LABELS = {"srcc": "SRCC", "pra": "PRA"}
#: decimals printed for every statistic; ``leaderboard --check`` compares numbers at this precision.
PRECISION = 4
COUNTS = ["scored", "missing", "failed"]
#: significance level of the "not significantly worse than the best" mark.
ALPHA = 0.05
TOP = "top"
#: the statistics compared pairwise in the comparison table, with their parametric test.
PAIRED = (("srcc", "Steiger", "steiger_srcc"), ("plcc", "Williams", "williams_plcc"), ("rmse", "F P.1401", "f_rmse"))
#: the provenance key whose value changes on every build; ``leaderboard --check`` ignores it.
DATE = "date"


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


def statistic_keys(evaluation: "Evaluation") -> list[str]:
    """Statistic keys in table order: the overall ones, then the grouped ones when there are groups."""
    keys = list(LABELS)
    if evaluation.group_by:
        keys += [f"{key}/{evaluation.group_by}" for key in GROUPED_LABELS]
    return keys


def column_label(key: str) -> str:
    base, _, group = key.partition("/")
    label = (GROUPED_LABELS if group else LABELS)[base]
    return f"{label}/{group}" if group else label


def fmt(value: float) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{PRECISION}f}"


def interval_cell(interval: "Interval | None") -> str:
    """``0.4376 [0.3612, 0.5071]``; the estimate alone when it has no interval; ``n/a`` when undefined."""
    if interval is None or not math.isfinite(interval.estimate):
        return "n/a"
    if not math.isfinite(interval.low):
        return fmt(interval.estimate)
    return f"{fmt(interval.estimate)} [{fmt(interval.low)}, {fmt(interval.high)}]"


def p_value(p: float, resamples: int | None = None) -> str:
    """Three decimals; a bootstrap p-value at its floor, 2 / (resamples + 1) (no resample crossed zero),
    is a bound and printed as one: ``≤0.002`` for 1,000 resamples."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if resamples is not None and p <= 2.0 / (resamples + 1) * (1 + 1e-9):
        return f"≤{2.0 / (resamples + 1):.3f}"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def dataset_table(results: DatasetResults, date: str | None = None, limit: int | None = None) -> Table:
    """The table of one dataset's results; ``date`` and ``limit`` (a suite's) go into the provenance."""
    evaluation = results.evaluation
    missing = str(results.label_set.n_missing)
    if evaluation is None:
        header = ["metric", "better", *COUNTS]
        rows = [[m.name, _better(m.lower_better), str(m.scored), missing, str(m.failed)] for m in results.ranked()]
        pairs_header, pairs = [], []
    else:
        keys = statistic_keys(evaluation)
        tied = _tied(results)
        top = [TOP] if compared(results) else []
        header = ["metric", "better", *COUNTS, *top, *(column_label(k) for k in keys)]
        rows = []
        for m in results.ranked():
            statistics = evaluation.metric(m.name)
            rows.append([m.name, _better(m.lower_better), str(m.scored), missing, str(m.failed),
                         *(["✓" if m.name in tied else ""] if top else []),
                         *(interval_cell(statistics.intervals.get(k)) for k in keys)])
        pairs_header, pairs = comparison_rows(results)
    return Table(results.name, results.card.title or results.name, header, rows, pairs_header, pairs,
                 notes(results), provenance(results, date, limit))


def dataset_record(results: DatasetResults, date: str | None = None, limit: int | None = None) -> dict:
    """The rows and pairs of :func:`dataset_table` as plain data (keys as the table's column labels),
    with the notes and provenance; an undefined number is None. ``top`` is there only when metrics are
    compared (:func:`compared`)."""
    evaluation = results.evaluation
    tied = _tied(results)
    metrics = []
    for m in results.ranked():
        row = {"metric": m.name, "better": _better(m.lower_better), "scored": m.scored,
               "missing": results.label_set.n_missing, "failed": m.failed}
        if evaluation is not None:
            intervals = evaluation.metric(m.name).intervals
            if compared(results):
                row[TOP] = m.name in tied
            row["statistics"] = {column_label(k): _numbers(intervals.get(k)) for k in statistic_keys(evaluation)}
        metrics.append(row)
    record = {"dataset": results.name, "title": results.card.title or results.name, "metrics": metrics}
    if evaluation is not None:
        record.update(level=evaluation.level, resamples=evaluation.resamples, seed=evaluation.seed,
                      pairs=comparison_records(results))
    return {**record, "notes": notes(results), "provenance": dict(provenance(results, date, limit))}


def compared(results: DatasetResults) -> bool:
    """Whether there is a comparison to show: two metrics or more."""
    return len(results.metrics) >= 2


def _tied(results: DatasetResults) -> set[str]:
    """The metrics marked ``top``."""
    if results.evaluation is None or not compared(results):
        return set()
    return results.evaluation.tied_with_best("srcc", ALPHA)


def _better(lower_better: bool) -> str:
    return "lower" if lower_better else "higher"


def _pairs(results: DatasetResults):
    """(A, B, comparison, sign) for every two metrics, the better-ranked one as A; ``sign`` turns the
    comparison's differences into A − B."""
    order = [m.name for m in results.ranked()]
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            yield (a, b, *results.evaluation.comparison(a, b))


def comparison_rows(results: DatasetResults) -> tuple[list[str], list[list[str]]]:
    """Every two metrics, the better-ranked one as A: A − B with its interval, the paired bootstrap
    p-value, and the parametric test's p-value, for SRCC, PLCC and RMSE."""
    header = ["A", "B", "n"]
    for key, test, _ in PAIRED:
        label = column_label(key)
        header += [f"Δ{label} (A − B)", f"p {label} (bootstrap)", f"p {label} ({test})"]
    resamples = results.evaluation.resamples
    rows = []
    for a, b, comparison, sign in _pairs(results):
        row = [a, b, str(comparison.n)]
        for key, _, attribute in PAIRED:
            difference = comparison.differences.get(key)
            test = getattr(comparison, attribute)
            if difference is None:
                row += ["n/a"] * 3
                continue
            row += [interval_cell(difference.interval.times(sign)),
                    p_value(difference.p_value, resamples), p_value(test.p_value) if test else "n/a"]
        rows.append(row)
    return header, rows


def comparison_records(results: DatasetResults) -> list[dict]:
    """The rows of :func:`comparison_rows` as plain data: per statistic, the difference A − B with its
    interval, the bootstrap p-value, and the parametric test with its p-value (None where undefined)."""
    records = []
    for a, b, comparison, sign in _pairs(results):
        record = {"A": a, "B": b, "n": comparison.n}
        for key, test_name, attribute in PAIRED:
            difference = comparison.differences.get(key)
            test = getattr(comparison, attribute) if difference is not None else None
            record[column_label(key)] = {
                "difference": _numbers(difference.interval.times(sign) if difference else None),
                "p_bootstrap": _number(difference.p_value) if difference else None,
                "test": test_name, "p_test": _number(test.p_value) if test else None}
        records.append(record)
    return records


def _numbers(interval: "Interval | None") -> dict:
    """An interval as ``{estimate, low, high}``."""
    if interval is None:
        return {"estimate": None, "low": None, "high": None}
    return {"estimate": _number(interval.estimate), "low": _number(interval.low), "high": _number(interval.high)}


def _number(value: float | None) -> float | None:
    """A finite number as a float (``-0.0`` as ``0.0``), else None."""
    return float(value) + 0.0 if value is not None and math.isfinite(value) else None


def notes(results: DatasetResults) -> list[str]:
    """What a reader must know to read the table: conventions, directions, grouping, undefined values."""
    evaluation = results.evaluation
    if evaluation is None:
        reason = "has no labels" if not results.labels else "has no scores stored"
        return [f"{results.name} {reason}: there are no statistics to compute."]
    level = f"{evaluation.level:.0%}"
    lines = [
        "Signed statistics: positive means the metric agrees with the subjective scores. PLCC and RMSE are "
        "computed after the VQEG 4-parameter logistic mapping; RMSE is in label units, lower is better.",
        f"[low, high]: {level} percentile bootstrap interval, {evaluation.resamples} paired resamples of the images "
        f"(seed {evaluation.seed}); the mapping is fitted once on all images.",
    ]
    if compared(results):  # the top mark and the p-values exist only where metrics are compared
        lines += [
            f"{TOP} ✓: the best metric by SRCC and every metric whose SRCC is not significantly lower "
            f"(paired bootstrap, p ≥ {ALPHA}).",
            f"Pairwise p-values are two-sided; a bootstrap p-value cannot go below {2 / (evaluation.resamples + 1):.3f} "
            f"with {evaluation.resamples} resamples, and is printed ≤{2 / (evaluation.resamples + 1):.3f} there.",
        ]
    lower = [m.name for m in results.metrics if m.lower_better]
    if lower:
        lines.append(f"Lower-is-better metrics were negated: {', '.join(lower)}.")
    if results.card.lower_better:
        lines.append("The labels are lower-is-better (DMOS) and were negated.")
    group = results.group_by
    if group:
        lines.append(f"X/{group}: the statistic within each {group}, then the mean over them; its interval "
                     f"resamples whole {group}s.")
    return lines + [note for m in evaluation.metrics for note in m.notes] + results.notes


def provenance(results: DatasetResults, date: str | None, limit: int | None) -> list[tuple[str, str]]:
    """(key, value) lines: versions, plugins, data, label file, each metric's configuration and weights."""
    card, label_set = results.card, results.label_set
    images = f"{label_set.n_present} present, {label_set.n_missing} missing of {card.expected_images or '?'} expected"
    if limit is not None:
        images += f"; the first {limit} scored (suite limit)"
    label_file = "none: the labels are made by the dataset's reader (see its card)"
    if label_set.label_file:
        label_file = f"{_relative(label_set.label_file, label_set.root)} sha256 {label_set.label_file_sha256}"
    lines = [
        ("iqabench", __version__),
        ("plugins", ", ".join(sorted({m.plugin for m in results.metrics}))),
        ("dataset card", f"{card.name}: {card.title} ({card.homepage})" if card.homepage else card.name),
        ("images", images),
        ("label file", label_file),
    ]
    for m in results.metrics:
        weights = "; ".join(f"{name} sha256 {sha}" for name, sha in sorted(m.weights.items())) or "none"
        lines.append((m.name, f"config {m.config_hash} {json.dumps(m.config, sort_keys=True)}, weights: {weights}"))
    lines.append(("device", ", ".join(sorted({d for m in results.metrics for d in m.devices}))))
    if date is not None:
        lines.append((DATE, date))
    return lines


def _relative(path: str, root: str) -> str:
    prefix = root.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else path
