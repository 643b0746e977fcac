"""A suite's overview: metrics as rows, datasets as columns, each cell the metric's signed SRCC with its
interval exactly as the dataset's table prints it, the best of each column marked, and every empty cell
with the reason it is empty (a full-reference metric on data without references, a metric the suite does
not score there, a dataset skipped or without labels, a metric that scored nothing).

A dataset whose labels rank images only within a group (its card's ``ranked_within_groups``: the faces of
one person, as effres is judged in Kansy et al. §4) shows its grouped SRCC (``SRCC/person``): pooled over
people, a metric is also ranked on how it compares one person's faces with another's, which is not what the
labels mean."""

from __future__ import annotations

from dataclasses import dataclass

from ..tables import Table
from .build import SuiteResult

#: the table column the overview shows, unless the dataset's grouped one stands first (:func:`primary_statistic`).
COLUMN = "SRCC"
#: the mark of the best cell of a column (besides bold), so that it shows without colour.
BEST = "★"
#: the overview's CSV file in a suite's folder.
OVERVIEW_CSV = "overview.csv"
#: what an empty cell shows.
EMPTY = "—"
#: what encloses the overview in a suite's section, so that the index pages can gather the overviews first.
OVERVIEW_START, OVERVIEW_END = "<!-- overview -->", "<!-- /overview -->"


@dataclass(frozen=True)
class Cell:
    """One metric on one dataset: the printed SRCC cell, or an empty cell and why it is empty."""

    text: str = ""
    best: bool = False
    why: str = ""

    @property
    def estimate(self) -> float | None:
        try:
            return float(self.text.split()[0])
        except (IndexError, ValueError):
            return None


@dataclass(frozen=True)
class Column:
    """A suite entry: its key (files and sections are named by it), title, images scored and the statistic
    its cells show."""

    key: str
    title: str
    images: int | None
    statistic: str = COLUMN

    @property
    def label(self) -> str:
        """The column's name in the overview's CSV: its key and statistic, e.g. ``faces (SRCC/person)``."""
        return f"{self.key} ({self.statistic})"

    @property
    def heading(self) -> str:
        """The column's heading in the markdown overview: its key, and its statistic when not plain SRCC."""
        return self.key if self.statistic == COLUMN else self.label


@dataclass(frozen=True)
class Overview:
    suite: str
    metrics: list[str]
    columns: list[Column]
    cells: dict[tuple[str, str], Cell]

    def cell(self, metric: str, key: str) -> Cell:
        return self.cells[(metric, key)]

    def reasons(self) -> list[str]:
        """Each distinct reason of an empty cell, in reading order (rows, then columns)."""
        found = []
        for metric in self.metrics:
            for column in self.columns:
                why = self.cell(metric, column.key).why
                if why and why not in found:
                    found.append(why)
        return found


def primary_statistic(table: Table | None, ranked_within_groups: bool) -> str:
    """The grouped SRCC column of a dataset's table (``SRCC/person``) when its card says its labels rank
    images only within a group and the table has one, else ``SRCC``."""
    grouped = [h for h in (table.header if table is not None else []) if h.startswith(COLUMN + "/")]
    return grouped[0] if grouped and ranked_within_groups else COLUMN


def suite_overview(result: SuiteResult, tables: list[Table]) -> Overview:
    """The overview of ``result``, read from ``tables`` (one per dataset built, in order), so that each
    cell is the dataset table's own SRCC cell."""
    by_key = {table.dataset: (table, built) for table, built in zip(tables, result.datasets)}
    metrics = list(dict.fromkeys(name for entry in result.suite.datasets for name in entry.metrics))
    columns, cells = [], {}
    for entry in result.suite.datasets:
        table, built = by_key.get(entry.key, (None, None))
        images = built.results.label_set.n_present if built is not None else None
        title = built.results.card.title if built is not None else entry.name
        within = built is not None and built.results.card.ranked_within_groups
        column = Column(entry.key, title or entry.name, images, primary_statistic(table, within))
        columns.append(column)
        for metric in metrics:
            cells[(metric, entry.key)] = _cell(result, entry, metric, table, built, column.statistic)
    _mark_best(cells, metrics, columns)
    return Overview(result.suite.name, metrics, columns, cells)


def _cell(result: SuiteResult, entry, metric: str, table: Table | None, built, statistic: str) -> Cell:
    if entry.key in result.skipped:
        return Cell(why=f"dataset skipped: {result.skipped[entry.key]}")
    if metric not in entry.metrics:
        if result.kinds.get(metric) == "FR" and not built.references:
            return Cell(why="full-reference metric; the dataset has no reference images")
        return Cell(why="not scored on this dataset in this suite")
    if statistic not in table.header:
        return Cell(why="the dataset has no labels, so no correlation")
    row = next(r for r in table.rows if r[0] == metric)
    text = row[table.header.index(statistic)]
    if Cell(text).estimate is None:
        counts = dict(zip(table.header, row))
        scored, failed = counts.get("scored", "0"), counts.get("failed", "0")
        return Cell(why=f"no {statistic}: {scored} images scored, {failed} failed")
    return Cell(text)


def _mark_best(cells: dict, metrics: list[str], columns: list[Column]) -> None:
    """Mark the highest signed SRCC (grouped where the column is) of each column (every cell that equals it
    as printed)."""
    for column in columns:
        estimates = {m: cells[(m, column.key)].estimate for m in metrics}
        values = [v for v in estimates.values() if v is not None]
        if not values:
            continue
        top = max(values)
        for metric, value in estimates.items():
            if value == top:
                cells[(metric, column.key)] = Cell(cells[(metric, column.key)].text, best=True)
