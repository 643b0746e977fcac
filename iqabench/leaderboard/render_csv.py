"""A table as CSV: the header and the printed cells, so that the file holds exactly what is shown."""

from __future__ import annotations

import csv
from pathlib import Path

from .tables import Table


def write_csv(table: Table, path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(table.header)
        writer.writerows(table.rows)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="") as f:
        return list(csv.reader(f))
