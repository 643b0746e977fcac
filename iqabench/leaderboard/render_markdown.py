"""Markdown (through tabulate): a suite's section, its overview first, and ``leaderboards/README.md`` that
gathers every suite's overview, then the sections."""

from __future__ import annotations

import re
import string

from tabulate import tabulate

from ..tables import Table
from .overview import BEST, EMPTY, OVERVIEW_END, OVERVIEW_START, Overview

INDEX_TITLE = "# Leaderboards"
INDEX_INTRO = """Generated from the per-image scores in the store by `iqabench leaderboard --suite NAME` (every suite:
`make leaderboards`), which first scores what the store lacks; do not edit by hand. Each table also exists as
CSV beside its plots, and [index.html](index.html) shows every suite with its plots, in tables that sort on a
click."""
INDEX_SUITES = """- **Suites** are [suites/](suites/)`<name>.toml`: `[[datasets]]` entries with `name`, `metrics`, and optionally
  `root_env` (an environment variable naming the dataset folder), `root` (used when that variable is unset;
  relative to the folder that holds `leaderboards/`), `allow_missing` and `limit`. Without either root, the
  dataset card's default root is used."""
INDEX_STATISTICS = """- **Statistics** are signed: a lower-is-better metric is negated once, so a good metric scores positive.
  Each is shown with its 95% percentile bootstrap interval (1,000 paired resamples, seed 0); PLCC and RMSE
  come after the VQEG 4-parameter logistic mapping. `top` marks the best metric by SRCC and every metric not
  significantly worse (paired bootstrap, p ≥ 0.05); the pairwise table gives each difference with its
  interval, its bootstrap p-value and a parametric test (Steiger's Z for SRCC, Williams' t for PLCC, the
  ITU-T P.1401 F-test for RMSE)."""



def suite_markdown(name: str, title: str, tables: list[Table], plots: dict[str, str], skipped: dict[str, str],
                   overview: Overview) -> str:
    """One suite: its overview, then a table per dataset with its notes, plot and provenance. ``plots``:
    dataset -> image path."""
    parts = [f"## Suite `{name}`: {title}", "", OVERVIEW_START, overview_markdown(overview), OVERVIEW_END, ""]
    parts += [f"Skipped: `{dataset}` ({why})." for dataset, why in skipped.items()]
    for table in tables:
        parts += [f"### `{table.dataset}`: {table.title}", "",
                  tabulate(table.rows, headers=table.header, tablefmt="github", disable_numparse=True), ""]
        parts += [f"- {note}" for note in table.notes]
        if table.pairs:
            parts += ["", "Pairwise comparisons (A ranked above B; A − B on the images both scored):", "",
                      tabulate(table.pairs, headers=table.pairs_header, tablefmt="github", disable_numparse=True)]
        csv_files = [f"{name}/{table.dataset}.csv"] + ([f"{name}/{table.dataset}_pairs.csv"] if table.pairs else [])
        parts += ["", "CSV: " + ", ".join(f"[{f}]({f})" for f in csv_files), ""]
        if table.dataset in plots:
            parts += [f"![{table.dataset}: score against MOS, fitted logistic]({plots[table.dataset]})", ""]
        parts += ["Provenance:", ""]
        parts += [f"- {key}: {value}" for key, value in table.provenance]
        parts.append("")
    if "srcc" in plots:
        parts += [f"![SRCC with 95% intervals per metric per dataset]({plots['srcc']})", ""]
    return "\n".join(parts)


def overview_markdown(overview: Overview) -> str:
    """The overview as a table; an empty cell names its reason by a letter, explained below the table."""
    letters = dict(zip(overview.reasons(), string.ascii_lowercase))
    rows = []
    for metric in overview.metrics:
        row = [metric]
        for column in overview.columns:
            cell = overview.cell(metric, column.key)
            if cell.why:
                row.append(f"{EMPTY} ({letters[cell.why]})")
            else:
                row.append(f"**{BEST} {cell.text}**" if cell.best else cell.text)
        rows.append(row)
    header = ["metric", *(c.heading for c in overview.columns)]
    lines = [f"### Overview of suite `{overview.suite}`: signed SRCC per metric and dataset", "",
             "Each cell: SRCC (positive: agrees with the subjective scores) with its 95% bootstrap interval, as in "
             "the dataset's table; where a dataset's labels rank images only within a group (faces of one "
             f"person), the SRCC within each group, averaged, as its header says. **{BEST} bold**: the best on "
             f"that dataset. {EMPTY} (letter): not scored there, for the reason below.", "",
             tabulate(rows, headers=header, tablefmt="github", disable_numparse=True), ""]
    lines += [f"- ({letter}) {why}." for why, letter in letters.items()]
    return "\n".join(lines).rstrip()


_OVERVIEW = re.compile(re.escape(OVERVIEW_START) + r"\n(.*?)\n" + re.escape(OVERVIEW_END) + r"\n", re.S)


def index_markdown(sections: list[str], abouts: list[str]) -> str:
    """The index: a line of introduction, every suite's overview, the rest of the introduction (with each
    suite's ``about`` before the statistics), then the sections without their overviews."""
    overviews = [found.group(1).strip() for found in map(_OVERVIEW.search, sections) if found]
    intro = "\n".join([INDEX_SUITES, *(a.strip() for a in abouts if a.strip()), INDEX_STATISTICS])
    rest = [_OVERVIEW.sub("", s).strip() for s in sections]
    return "\n\n".join([INDEX_TITLE, INDEX_INTRO, *overviews, intro, *rest]) + "\n"
