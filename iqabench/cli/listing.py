"""``iqabench list metrics|datasets``: what the plugins provide, and whether it can run here."""

from __future__ import annotations

import click

from . import options
from .console import err, handles_errors, out, say

#: each availability state, as the listing names it.
STATES = {"present": "present", "download": "download on first use", "unavailable": "unavailable"}


@click.group(name="list", short_help="List the metrics or datasets that plugins provide.")
def list_() -> None:
    """List the metrics or datasets that plugins provide."""


@list_.command(name="metrics", short_help="Metrics: kind, direction, range, availability.")
@click.option("--all", "show_all", is_flag=True, help="Also list every metric of a namespace (<namespace>:<name>).")
@options.offline
@options.output_format
@handles_errors
def list_metrics(show_all: bool, offline: bool | None, output_format: str) -> None:
    """Metrics, with kind, direction, range and whether they can run here: present (their weight files are
    here and pass their hash check, or they need none), download (on first use, from where it says) or
    unavailable (and why). Nothing is downloaded."""
    from .. import settings
    from ..plugins import listed_names, load_registry, namespace_of

    registry = load_registry()
    names = [name for name in sorted(registry.metrics) if show_all or namespace_of(name) is None]
    with settings.overrides(offline=offline):
        rows = [_metric_row(registry, name) for name in names]
    if output_format != "table":
        _print_records(rows, output_format)
    else:
        _print_metrics(rows)
        if not show_all:
            for namespace, count in listed_names(registry.metrics)[1].items():
                out.print(fit(f"… and {count} more as {namespace}:<name> (iqabench list metrics --all)", out.width),
                          markup=False, soft_wrap=True)
    print_broken(registry)


def _metric_row(registry, name: str) -> dict:
    metric = registry.metrics[name]
    availability = metric.availability()
    low, high = metric.score_range
    return {"metric": name, "kind": metric.kind, "better": "lower" if metric.lower_better else "higher",
            "low": low, "high": high, "plugin": registry.owners[("metric", name)],
            "availability": availability.state, "detail": availability.reason}


def _print_metrics(rows: list[dict]) -> None:
    """A narrow table (a metric's name is never cut), then the detail of each state: where the files are,
    what is downloaded from where, why a metric cannot run; metrics with the same detail share a line.
    Every line is wrapped between words to the console's width (:func:`fit`)."""
    from rich.table import Table

    table = Table()
    table.add_column("metric", no_wrap=True)
    for header in ("kind", "better", "range", "plugin", "availability"):
        table.add_column(header)
    for row in rows:
        table.add_row(row["metric"], row["kind"], row["better"], score_range(row["low"], row["high"]),
                      row["plugin"], row["availability"])
    out.print(table, markup=False)
    lines = []
    for state, heading in STATES.items():
        groups: dict[str, list[str]] = {}
        for row in rows:
            if row["availability"] == state and row["detail"]:
                groups.setdefault(row["detail"], []).append(row["metric"])
        if groups:
            lines.append(f"{heading.capitalize()}:")
        for detail, names in groups.items():
            first, *rest = detail.splitlines()
            lines.append(f"  {', '.join(names)}: {first}")
            lines += [f"    {line}" for line in rest]
    if lines:
        out.print(fit("\n".join(lines), out.width), markup=False, soft_wrap=True)


def fit(text: str, width: int, indent: str = "  ") -> str:
    """Each line of ``text`` wrapped between words to ``width`` columns, its continuation lines indented by
    its own indentation plus ``indent``. A word longer than a line (a path, a URL) is kept whole on a line
    of its own, to be copied."""
    import textwrap

    wrapped = []
    for line in text.split("\n"):
        lead = line[:len(line) - len(line.lstrip(" "))]
        wrapped += textwrap.wrap(line, max(width, 20), subsequent_indent=lead + indent, break_long_words=False,
                                 break_on_hyphens=False) or [""]
    return "\n".join(wrapped)


def score_range(low: float | None, high: float | None) -> str:
    """A metric's range as the table shows it: ``0 – 100``, ``≥ 0`` or ``≤ 1`` when one bound is open or not
    known, ``unknown`` when neither is known."""
    if low is None and high is None:
        return "unknown"
    if high is None:
        return f"≥ {low:g}"
    if low is None:
        return f"≤ {high:g}"
    return f"{low:g} – {high:g}"


@list_.command(name="datasets", short_help="Datasets: title, kind, images, whether present.")
@handles_errors
def list_datasets() -> None:
    """Datasets, with whether the data is at their default root."""
    from rich.table import Table

    from .. import settings
    from ..plugins import load_registry

    registry = load_registry()
    table = Table("dataset", "title", "kind", "images", "present")
    for name in sorted(registry.datasets):
        card = registry.datasets[name].card
        table.add_row(name, card.title, card.kind_text, str(card.expected_images or "–"),
                      "yes" if card.default_root().exists() else "no")
    out.print(table, markup=False)
    say(f"Default root: {settings.data_dir()}/<dataset> (set IQABENCH_DATA, or pass --root PATH).")
    print_broken(registry)


def _print_records(rows: list[dict], output_format: str) -> None:
    """``rows`` (dicts with the same keys) as JSON, CSV or a Markdown table, whole, on stdout."""
    import csv
    import io
    import json

    if output_format == "json":
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
    elif output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        def cell(value) -> str:
            return "" if value is None else " ".join(str(value).split()).replace("|", "\\|")

        keys = list(rows[0]) if rows else []
        click.echo("| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
        for row in rows:
            click.echo("| " + " | ".join(cell(row[key]) for key in keys) + " |")


def print_broken(registry) -> None:
    for broken in registry.broken:
        err.print(f"[yellow]plugin {broken.name!r} failed to load:[/] ", end="")
        say(broken.error, error=True)
