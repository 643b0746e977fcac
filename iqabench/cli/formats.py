"""The results of ``run`` and ``stats`` in the ``--format`` asked for: ``table`` fitted to the terminal
(:mod:`.layout`), or one document alone on stdout for programs and documents:

- ``markdown``: the tables (GitHub style), the notes and the provenance;
- ``csv``: the statistics table, then, after an empty line, the pairwise table (the cells as printed,
  like the leaderboard's CSV files); the notes go to stderr;
- ``json``: :func:`iqabench.tables.dataset_record` with the command's own facts (``extra``).
"""

from __future__ import annotations

import csv
import io
import json

import click
from tabulate import tabulate

from ..results import DatasetResults
from ..tables import Table, dataset_record, dataset_table
from .console import say
from .layout import PAIRS_TITLE, draw


def show(results: DatasetResults, output_format: str, extra: dict | None = None) -> None:
    """Print ``results`` as ``output_format`` (table, markdown, csv or json)."""
    if output_format == "json":
        click.echo(json.dumps({**(extra or {}), **dataset_record(results)}, indent=2))
        return
    table = dataset_table(results)
    if output_format == "table":
        draw(table)
    elif output_format == "markdown":
        click.echo(markdown(table))
    else:
        click.echo(csv_text(table), nl=False)
        for note in table.notes:
            say(f"note: {note}", error=True)


def markdown(table: Table) -> str:
    parts = [f"### `{table.dataset}`: {table.title}", "", _github(table.header, table.rows), ""]
    parts += [f"- {note}" for note in table.notes]
    if table.pairs:
        parts += ["", f"{PAIRS_TITLE}:", "", _github(table.pairs_header, table.pairs)]
    parts += ["", "Provenance:", ""] + [f"- {key}: {value}" for key, value in table.provenance]
    return "\n".join(parts)


def csv_text(table: Table) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows([table.header, *table.rows])
    if table.pairs:
        writer.writerows([[], table.pairs_header, *table.pairs])
    return text.getvalue()


def _github(header: list[str], rows: list[list[str]]) -> str:
    return tabulate(rows, headers=header, tablefmt="github", disable_numparse=True)
