"""One static HTML page: a section per suite with its tables, plots and provenance."""

from __future__ import annotations

from html import escape

from tabulate import tabulate

from ..tables import Table

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1300px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.pairs th:nth-child(2), .pairs td:nth-child(2) { text-align: left; }
th { background: #f0f0f0; }
.notes, .provenance { font-size: 0.85em; color: #444; }
.provenance { word-break: break-all; }
img { max-width: 100%; border: 1px solid #eee; }
"""


def suite_html(name: str, title: str, tables: list[Table], plots: dict[str, str], skipped: dict[str, str]) -> str:
    """One suite's ``<section>``; ``plots``: dataset (or ``srcc``) -> image path relative to the page."""
    parts = [f'<section id="suite-{escape(name)}">', f"<h2>Suite <code>{escape(name)}</code>: {escape(title)}</h2>"]
    parts += [f"<p>Skipped: <code>{escape(d)}</code> ({escape(why)}).</p>" for d, why in skipped.items()]
    for table in tables:
        parts.append(f"<h3><code>{escape(table.dataset)}</code>: {escape(table.title)}</h3>")
        parts.append(tabulate(table.rows, headers=table.header, tablefmt="html", disable_numparse=True))
        parts.append('<ul class="notes">' + "".join(f"<li>{escape(n)}</li>" for n in table.notes) + "</ul>")
        if table.pairs:
            parts.append("<h4>Pairwise comparisons (A ranked above B; A − B on the images both scored)</h4>")
            parts.append('<div class="pairs">' + tabulate(table.pairs, headers=table.pairs_header, tablefmt="html",
                                                          disable_numparse=True) + "</div>")
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


def page_html(sections: list[str]) -> str:
    body = "\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>iqabench leaderboards</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>iqabench leaderboards</h1>\n"
            "<p>Generated from the per-image scores in the store by <code>iqabench leaderboard</code>; "
            "CI checks that every committed number is what the code computes today.</p>\n"
            f"{body}</body>\n</html>\n")
