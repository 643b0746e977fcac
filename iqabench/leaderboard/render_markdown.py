"""Markdown (through tabulate): a suite's section, and ``leaderboards/README.md`` that indexes the suites."""

from __future__ import annotations

from tabulate import tabulate

from .tables import Table

INDEX_TITLE = "# Leaderboards"
INDEX_INTRO = """Generated from the per-image scores in the store by `iqabench leaderboard --suite NAME` (all suites:
`make leaderboards`); do not edit by hand. CI runs `iqabench leaderboard --suite ci --check`, which recomputes
every table and fails when a committed number differs. Suites are defined in [suites/](suites/); each table
also exists as CSV beside its plots, and [index.html](index.html) shows them all with plots."""


def suite_markdown(name: str, title: str, tables: list[Table], plots: dict[str, str], skipped: dict[str, str]) -> str:
    """One suite: a table per dataset with its notes, plot and provenance. ``plots``: dataset -> image path."""
    parts = [f"## Suite `{name}`: {title}", ""]
    parts += [f"Skipped: `{dataset}` ({why})." for dataset, why in skipped.items()]
    for table in tables:
        parts += [f"### `{table.dataset}`: {table.title}", "",
                  tabulate(table.rows, headers=table.header, tablefmt="github", disable_numparse=True), ""]
        parts += [f"- {note}" for note in table.notes]
        parts += ["", f"CSV: [{name}/{table.dataset}.csv]({name}/{table.dataset}.csv)", ""]
        if table.dataset in plots:
            parts += [f"![{table.dataset}: score against MOS]({plots[table.dataset]})", ""]
        parts += ["Provenance:", ""]
        parts += [f"- {key}: {value}" for key, value in table.provenance]
        parts.append("")
    if "srcc" in plots:
        parts += [f"![SRCC per metric per dataset]({plots['srcc']})", ""]
    return "\n".join(parts)


def index_markdown(sections: list[str]) -> str:
    return "\n\n".join([INDEX_TITLE, INDEX_INTRO, *(s.strip() for s in sections)]) + "\n"
