"""The files of a suite under ``leaderboards/``, and the index pages that gather every suite.

Layout: ``<suite>/<dataset>.csv`` and ``<suite>/<dataset>_pairs.csv``, ``<suite>/overview.csv`` (SRCC, metrics
× datasets), ``<suite>/plots/*.png``, ``<suite>/suite.md`` and ``<suite>/suite.html``
(the suite's sections), and ``README.md`` and ``index.html``, which concatenate the sections of all suites.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..tables import Table, dataset_table
from .build import DatasetBuild, SuiteResult
from .overview import suite_overview
from .render_csv import write_csv, write_overview_csv
from .render_html import page_html, suite_html
from .render_markdown import index_markdown, suite_markdown
from .suites import load_suite, suite_path

SECTION_MD, SECTION_HTML = "suite.md", "suite.html"


def write_suite(result: SuiteResult, out: Path, date: str) -> None:
    """Write the suite's CSV files, plots and sections (not the index pages: see :func:`write_index`)."""
    from .plots import intervals_plot, scores_plot  # matplotlib only when plots are drawn

    name = result.suite.name
    folder = Path(out) / name
    (folder / "plots").mkdir(parents=True, exist_ok=True)
    tables = [entry_table(d, date) for d in result.datasets]
    plots = {}
    for table, built in zip(tables, result.datasets):
        write_csv(table, folder)
        if built.results.evaluation is None:
            continue
        plots[table.dataset] = f"{name}/plots/{table.dataset}_scores.png"
        scores_plot(built.results, Path(out) / plots[table.dataset], table.dataset)
    labelled = [(t.dataset, d.results) for t, d in zip(tables, result.datasets) if d.results.evaluation is not None]
    if labelled:
        plots["srcc"] = f"{name}/plots/srcc.png"
        intervals_plot([r for _, r in labelled], Path(out) / plots["srcc"], [key for key, _ in labelled])
    title, skipped = result.suite.title, result.skipped
    overview = suite_overview(result, tables)
    write_overview_csv(overview, folder)
    (folder / SECTION_MD).write_text(suite_markdown(name, title, tables, plots, skipped, overview))
    (folder / SECTION_HTML).write_text(suite_html(name, title, tables, plots, skipped, overview))


def entry_table(built: DatasetBuild, date: str) -> Table:
    """The table of one suite entry, named by its key (its id, else the dataset's name); a subset is stated
    in the provenance."""
    entry = built.entry
    table = dataset_table(built.results, date, entry.limit)
    if entry.subset is None and entry.id is None:
        return table
    provenance = list(table.provenance)
    if entry.subset is not None:
        provenance.insert(4, ("subset", f"{entry.subset} ({built.results.label_set.n_present} present)"))
    return replace(table, dataset=entry.key, provenance=provenance)


def write_index(out: Path, suites_from: Path | None = None) -> None:
    """``README.md`` and ``index.html`` from the sections of every suite under ``out``, by suite name; each
    suite's ``about`` comes from ``<suites_from>/suites/<name>.toml`` (default: ``out``), when it is there."""
    out = Path(out)
    folders = sorted(p.parent for p in out.glob(f"*/{SECTION_MD}"))
    abouts = [_about(Path(suites_from or out), f.name) for f in folders]
    (out / "README.md").write_text(index_markdown([(f / SECTION_MD).read_text() for f in folders], abouts))
    (out / "index.html").write_text(page_html([(f / SECTION_HTML).read_text() for f in folders]))


def _about(out: Path, name: str) -> str:
    return load_suite(out, name).about if suite_path(out, name).is_file() else ""
