"""A :class:`iqabench.tables.Table` on the console, fitted to its width without cutting a cell.

Each of the two tables (statistics, pairwise comparisons) is drawn as a grid, each interval under its
value, when every cell fits whole; otherwise as records, one block per row with a ``label  value`` line
per column (the layout of ``psql``'s expanded display), a long value wrapped between words under itself.
The notes follow, wrapped only between words.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.table import Table as RichTable
from rich.text import Text

from ..tables import Table
from .console import out, say, wrap

PAIRS_TITLE = "Pairwise comparisons (A ranked above B; A − B on the images both scored)"
NUMBER = re.compile(r"[<≤-]?\d")


def draw(table: Table) -> None:
    """Statistics, then the pairwise comparisons, then the notes, on stdout."""
    _draw(f"{table.dataset}: {table.title}", table.header, table.rows)
    if table.pairs:
        _draw(PAIRS_TITLE, table.pairs_header, table.pairs)
    for note in table.notes:
        _note(note)


def _draw(title: str, header: list[str], rows: list[list[str]]) -> None:
    cells = [[_stacked(cell) for cell in row] for row in rows]
    widths = [max([_longest(label.split()), *(_longest(row[i].splitlines()) for row in cells)])
              for i, label in enumerate(header)]
    if sum(widths) + 3 * len(widths) + 1 <= out.width:  # each column's padding and border, and the first border
        _grid(title, header, cells, widths)
    else:
        _records(title, header, rows)


def _grid(title: str, header: list[str], cells: list[list[str]], widths: list[int]) -> None:
    """A grid whose columns are as wide as their widest cell line (a header wraps between its words);
    numbers to the right, words to the left."""
    grid = RichTable(title=title, show_lines=True)
    for i, (label, width) in enumerate(zip(header, widths)):
        numeric = any(NUMBER.match(row[i]) for row in cells)
        grid.add_column(label, justify="right" if numeric else "left", width=width)
    for row in cells:
        grid.add_row(*row)
    out.print(grid, markup=False)


def _records(title: str, header: list[str], rows: list[list[str]]) -> None:
    """One block per row, ``label  value`` per non-empty cell, the first in bold."""
    width = max(cell_len(label) for label in header)
    say(title)
    for row in rows:
        say("")
        for i, (label, cell) in enumerate(zip(header, row)):
            if cell:
                line = wrap(f"  {label}{' ' * (width - cell_len(label))}  {cell}", out, indent=" " * (width + 2))
                out.print(Text(line, style="bold" if i == 0 else ""), soft_wrap=True)
    say("")


def _note(note: str) -> None:
    """``note: …``, wrapped between words to a terminal's width (a word longer than it stays whole), and on
    one line in a log."""
    say(f"note: {note}")


def _stacked(cell: str) -> str:
    """An interval under its value."""
    return cell.replace(" [", "\n[", 1)


def _longest(parts: list[str]) -> int:
    return max((cell_len(part) for part in parts), default=0)
