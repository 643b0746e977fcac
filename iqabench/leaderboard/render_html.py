"""One static HTML page: the overview of every suite first, then a section per suite with its tables, plots
and provenance. Tables sort on a click (:mod:`.html_table`); the page loads nothing from elsewhere."""

from __future__ import annotations

import re
from html import escape

from ..tables import Table
from .html_table import SORT_SCRIPT, cell_html, html_table
from .overview import BEST, COLUMN, EMPTY, OVERVIEW_END, OVERVIEW_START, Overview

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1260px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.45em; text-align: right; vertical-align: top; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
.pairs th:nth-child(2), .pairs td:nth-child(2) { text-align: left; }
th { background: #f0f0f0; }
th.sorts { cursor: pointer; }
th[aria-sort=descending]::after { content: " \\25BC"; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
.ci { display: block; font-size: 0.85em; color: #555; }
.wide { overflow-x: auto; }
.overview td.best { font-weight: bold; background: #eef6ee; }
.overview td.empty { color: #888; text-align: center; }
.overview th small { display: block; font-weight: normal; color: #555; }
.notes, .provenance { font-size: 0.85em; color: #444; }
.provenance { word-break: break-all; }
img { max-width: 100%; border: 1px solid #eee; }
"""

def suite_html(name: str, title: str, tables: list[Table], plots: dict[str, str], skipped: dict[str, str],
               overview: Overview) -> str:
    """One suite's ``<section>``, its overview first; ``plots``: dataset (or ``srcc``) -> image path relative
    to the page."""
    parts = [f'<section id="suite-{escape(name)}">', f"<h2>Suite <code>{escape(name)}</code>: {escape(title)}</h2>"]
    parts += [OVERVIEW_START, overview_html(overview), OVERVIEW_END]
    parts += [f"<p>Skipped: <code>{escape(d)}</code> ({escape(why)}).</p>" for d, why in skipped.items()]
    for table in tables:
        parts.append(f'<h3 id="{escape(name)}-{escape(table.dataset)}"><code>{escape(table.dataset)}</code>: '
                     f"{escape(table.title)}</h3>")
        parts.append(html_table(table.header, table.rows, "statistics"))
        parts.append('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in table.notes) + "</ul>")
        if table.pairs:
            parts.append("<h4>Pairwise comparisons (A ranked above B; A − B on the images both scored)</h4>")
            parts.append(html_table(table.pairs_header, table.pairs, "pairs"))
        csv_files = [f"{name}/{table.dataset}.csv"] + ([f"{name}/{table.dataset}_pairs.csv"] if table.pairs else [])
        links = ", ".join(f'<a href="{escape(f)}">{escape(f)}</a>' for f in csv_files)
        parts.append(f'<p class="notes">CSV: {links}</p>')
        if table.dataset in plots:
            parts.append(f'<img src="{escape(plots[table.dataset])}" alt="{escape(table.dataset)}: score against MOS, fitted logistic">')
        parts.append('<details class="provenance" open><summary>Provenance</summary><ul>'
                     + "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in table.provenance) + "</ul></details>")
    if "srcc" in plots:
        parts.append(f'<h3>SRCC with 95% intervals, per metric per dataset</h3>'
                     f'<img src="{escape(plots["srcc"])}" alt="SRCC with intervals per metric">')
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def overview_html(overview: Overview) -> str:
    """The overview as a sortable table: a cell's hover text says what it is or why it is empty."""
    name = escape(overview.suite)
    head = "<th>metric</th>" + "".join(
        f'<th title="{escape(c.title)}: {escape(c.statistic)}" data-statistic="{escape(c.statistic)}">{escape(c.key)}'
        + (f"<small>{escape(c.statistic)}</small>" if c.statistic != COLUMN else "")
        + (f"<small>{c.images} images</small>" if c.images is not None else "") + "</th>" for c in overview.columns)
    rows = []
    for metric in overview.metrics:
        cells = [f"<td>{escape(metric)}</td>"]
        for column in overview.columns:
            cell = overview.cell(metric, column.key)
            where = f"{metric} on {column.key}"
            if cell.why:
                cells.append(f'<td class="empty" title="{escape(where)}: {escape(cell.why)}">{EMPTY}</td>')
                continue
            title = f"{where}: signed {column.statistic} {cell.text}"
            title += " (the best on this dataset)" if cell.best else ""
            cells.append(cell_html(cell.text, title, "best", f"{BEST} ") if cell.best else cell_html(cell.text, title))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<h3 id="overview-{name}">Overview of suite <code>{name}</code>: signed SRCC per metric and '
            "dataset</h3>\n"
            f'<p class="notes">Each cell: SRCC (positive: agrees with the subjective scores) and its 95% '
            "bootstrap interval below, as in the dataset's table; where a dataset's labels rank images only "
            "within a group (faces of one person), the SRCC within each group, averaged, as its header says. "
            f"<strong>{BEST} bold</strong>: the best on that dataset. {EMPTY}: not scored there (hover for why). "
            "Click a header to sort.</p>\n"
            f'<div class="wide"><table class="sortable overview" data-suite="{name}">\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(rows) + "\n</tbody>\n</table></div>")


def page_html(sections: list[str]) -> str:
    """The index page: every suite's overview first, then the suites' sections without them."""
    overviews = [_overview_of(s) for s in sections]
    body = "\n".join(_without_overview(s) for s in sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>iqabench leaderboards</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>iqabench leaderboards</h1>\n"
            "<p>Generated from the per-image scores in the store by <code>iqabench leaderboard</code>; "
            "CI checks that every committed number is what the code computes today.</p>\n"
            + "\n".join(o for o in overviews if o) + "\n"
            f"{body}<script>{SORT_SCRIPT}</script>\n</body>\n</html>\n")


_OVERVIEW = re.compile(re.escape(OVERVIEW_START) + r"\n(.*?)\n" + re.escape(OVERVIEW_END) + r"\n", re.S)


def _overview_of(section: str) -> str:
    found = _OVERVIEW.search(section)
    return found.group(1) if found else ""


def _without_overview(section: str) -> str:
    return _OVERVIEW.sub("", section)
