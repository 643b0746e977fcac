"""The results of ``run`` and ``stats`` in the ``--format`` asked for: ``table`` fitted to the terminal
(:mod:`.layout`), or one document alone on stdout for programs and documents:

- ``markdown``: the tables (GitHub style), the notes and the provenance;
- ``csv``: for programs, every number at full precision in a column of its own: the statistics, one row
  per metric, each statistic as three columns (``srcc``, ``srcc_low``, ``srcc_high``; a grouped one
  ``srcc_by_photo``, ...); then, when metrics are compared, after an empty line, the pairwise
  comparisons, one row per pair (``a``, ``b``, ``n``, ``srcc_diff``, ``srcc_diff_low``, ``srcc_diff_high``,
  ``srcc_p_bootstrap``, ``srcc_p_steiger``, ...). An undefined number is an empty cell; the notes go to
  stderr;
- ``json``: :func:`iqabench.tables.dataset_record` with the command's own facts (``extra``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

import click
from tabulate import tabulate

from ..results import DatasetResults
from ..tables import PAIRED, TOP, Table, column_label, dataset_record, dataset_table
from .console import say
from .layout import PAIRS_TITLE, draw


def show(results: DatasetResults, output_format: str, extra: dict | None = None) -> None:
    """Print ``results`` as ``output_format`` (table, markdown, csv or json)."""
    if output_format == "json":
        click.echo(json.dumps({**(extra or {}), **dataset_record(results)}, indent=2))
        return
    if output_format == "csv":
        record = dataset_record(results)
        click.echo(csv_text(record), nl=False)
        for note in record["notes"]:
            say(f"note: {note}", error=True)
        return
    table = dataset_table(results)
    if output_format == "table":
        draw(table)
    else:
        click.echo(markdown(table))


def markdown(table: Table) -> str:
    parts = [f"### `{table.dataset}`: {table.title}", "", _github(table.header, table.rows), ""]
    parts += [f"- {note}" for note in table.notes]
    if table.pairs:
        parts += ["", f"{PAIRS_TITLE}:", "", _github(table.pairs_header, table.pairs)]
    parts += ["", "Provenance:", ""] + [f"- {key}: {value}" for key, value in table.provenance]
    return "\n".join(parts)


def csv_text(record: dict) -> str:
    """A :func:`iqabench.tables.dataset_record` as CSV: the statistics table, then, after an empty line,
    the pairwise table when there are pairs."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(statistics_rows(record))
    if record.get("pairs"):
        writer.writerows([[], *pair_rows(record)])
    return text.getvalue()


def statistics_rows(record: dict) -> list[list[str]]:
    """The header and one row per metric: its counts, ``top`` (when metrics are compared), and each
    statistic's estimate, low and high."""
    metrics = record["metrics"]
    labels = list(metrics[0].get("statistics", {})) if metrics else []
    top = any(TOP in m for m in metrics)
    header = ["metric", "better", "scored", "missing", "failed", *([TOP] if top else [])]
    header += [f"{column_name(label)}{part}" for label in labels for part in ("", "_low", "_high")]
    rows = [header]
    for m in metrics:
        row = [m["metric"], m["better"], str(m["scored"]), str(m["missing"]), str(m["failed"])]
        row += [_cell(m[TOP])] if top else []
        for label in labels:
            numbers = m["statistics"][label]
            row += [_cell(numbers[part]) for part in ("estimate", "low", "high")]
        rows.append(row)
    return rows


def pair_rows(record: dict) -> list[list[str]]:
    """The header and one row per pair of metrics (A ranked above B): n, and per compared statistic the
    difference A − B with its interval, the paired bootstrap p-value and the parametric test's."""
    header = ["a", "b", "n"]
    for key, test, _ in PAIRED:
        name = column_name(column_label(key))
        header += [f"{name}_diff", f"{name}_diff_low", f"{name}_diff_high", f"{name}_p_bootstrap",
                   f"{name}_p_{column_name(test)}"]
    rows = [header]
    for pair in record["pairs"]:
        row = [pair["A"], pair["B"], str(pair["n"])]
        for key, _, _ in PAIRED:
            compared = pair[column_label(key)]
            difference = compared["difference"]
            row += [_cell(difference[part]) for part in ("estimate", "low", "high")]
            row += [_cell(compared["p_bootstrap"]), _cell(compared["p_test"])]
        rows.append(row)
    return rows


def column_name(label: str) -> str:
    """A column label as a CSV column name: ``SRCC`` -> ``srcc``, ``SRCC/photo`` -> ``srcc_by_photo``,
    ``F P.1401`` -> ``f_p1401``."""
    name = label.lower().replace("/", "_by_").replace(".", "")
    return re.sub(r"[^0-9a-z]+", "_", name).strip("_")


def _cell(value) -> str:
    """A number at full precision (it reads back as the same float), ``true``/``false``, or empty when
    undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _github(header: list[str], rows: list[list[str]]) -> str:
    return tabulate(rows, headers=header, tablefmt="github", disable_numparse=True)
