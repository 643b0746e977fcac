"""Results as printed cells: one place decides columns, order and precision for every renderer."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .build import DatasetResult
from .provenance import provenance

#: decimals printed for every statistic; ``check`` compares numbers at this precision.
PRECISION = 4
COUNTS = ["scored", "missing", "failed"]


@dataclass
class Table:
    """One dataset's table: its header, rows of printed cells, notes and provenance."""

    dataset: str
    title: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str]
    provenance: list[tuple[str, str]]


def fmt(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{PRECISION}f}"


def dataset_table(result: DatasetResult, date: str) -> Table:
    """Rows ranked by signed SRCC (see :meth:`DatasetResult.ranked`)."""
    header = ["metric", "better", *COUNTS, *result.columns]
    rows = [
        [r.metric, "lower" if r.lower_better else "higher", str(r.scored), str(r.missing), str(r.failed),
         *(fmt(r.statistics[c]) for c in result.columns)]
        for r in result.ranked()
    ]
    card = result.dataset.card
    return Table(card.name, card.title or card.name, header, rows, _notes(result), provenance(result, date))


def _notes(result: DatasetResult) -> list[str]:
    notes = [("Signed statistics: positive means the metric agrees with the subjective scores; PLCC is raw "
              "(before logistic mapping).")]
    lower = [r.metric for r in result.rows if r.lower_better]
    if lower:
        notes.append(f"Lower-is-better metrics were negated: {', '.join(lower)}.")
    if not result.dataset.card.higher_better:
        notes.append("The labels are lower-is-better (DMOS) and were negated.")
    if result.dataset.card.group_by:
        notes.append(f"X/{result.dataset.card.group_by}: the statistic within each {result.dataset.card.group_by}, "
                     "then the mean over them.")
    return notes
