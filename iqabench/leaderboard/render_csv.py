"""A table as CSV: the header and the printed cells, so that the file holds exactly what is shown."""

from __future__ import annotations

import csv
from pathlib import Path

from ..tables import Table
from .overview import OVERVIEW_CSV, Overview


def write_csv(table: Table, folder: Path) -> None:
    """``<dataset>.csv`` (the statistics) and ``<dataset>_pairs.csv`` (the pairwise comparisons)."""
    _write(folder / f"{table.dataset}.csv", table.header, table.rows)
    if table.pairs:
        _write(folder / f"{table.dataset}_pairs.csv", table.pairs_header, table.pairs)


def write_overview_csv(overview: Overview, folder: Path) -> None:
    """``overview.csv``: a row per metric, a column per dataset named with its statistic (``livec (SRCC)``,
    ``faces (SRCC/person)``), each cell that statistic's cell (empty where the metric was not scored; the
    HTML and markdown overviews say why)."""
    rows = [[m, *(overview.cell(m, c.key).text for c in overview.columns)] for m in overview.metrics]
    _write(folder / OVERVIEW_CSV, ["metric", *(c.label for c in overview.columns)], rows)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))
