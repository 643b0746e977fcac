"""``--check``: write a fresh build beside the committed files and list every difference.

Numbers are compared as printed (rounded to :data:`tables.PRECISION`); the provenance date is ignored;
plots are checked for presence only (their pixels depend on the matplotlib version).
"""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from pathlib import Path

from ..tables import DATE
from .build import SuiteResult
from .output import SECTION_HTML, SECTION_MD, write_index, write_suite
from .overview import OVERVIEW_CSV
from .render_csv import read_csv

_DATE_LINE = re.compile(rf"({DATE}: )[^<\n]*")
#: lines of unified diff shown per text file.
DIFF_LINES = 40


def check_suite(result: SuiteResult, committed: Path) -> list[str]:
    """Differences between ``committed`` and what ``result`` renders to; empty when they agree.

    When datasets were skipped (absent data), only the tables of the datasets built are compared (not the
    overview, whose skipped columns are empty)."""
    committed = Path(committed)
    name = result.suite.name
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        for section in committed.glob("*/suite.*"):
            if section.parent.name != name:
                (fresh / section.parent.name).mkdir(exist_ok=True)
                shutil.copy(section, fresh / section.parent.name / section.name)
        write_suite(result, fresh, date="(not compared)")
        write_index(fresh, suites_from=committed)
        problems = _compare_csv(committed, fresh, name, only_produced=bool(result.skipped))
        if result.skipped:  # the sections and index name the skipped datasets; compare only the tables built
            return problems
        for relative in (f"{name}/{SECTION_MD}", f"{name}/{SECTION_HTML}", "README.md", "index.html"):
            problems += _compare_text(committed / relative, fresh / relative, relative)
        plots = [p.relative_to(fresh) for p in sorted((fresh / name / "plots").glob("*"))]
        problems += [f"{p}: missing from {committed}" for p in plots if not (committed / p).exists()]
    return problems


def _compare_csv(committed: Path, fresh: Path, name: str, only_produced: bool) -> list[str]:
    problems = []
    new = {p.name for p in (fresh / name).glob("*.csv") if not (only_produced and p.name == OVERVIEW_CSV)}
    old = {p.name for p in (committed / name).glob("*.csv") if p.name in new or not only_produced}
    problems += [f"{name}/{f}: committed but no longer produced" for f in sorted(old - new)]
    problems += [f"{name}/{f}: produced but not committed" for f in sorted(new - old)]
    for file in sorted(old & new):
        problems += _compare_table(f"{name}/{file}", read_csv(committed / name / file), read_csv(fresh / name / file))
    return problems


def _compare_table(label: str, old: list[list[str]], new: list[list[str]]) -> list[str]:
    """Cell by cell, rows matched by the metric (the first cell; the first two, A and B, for comparisons)."""
    if old[:1] != new[:1]:
        return [f"{label}: columns differ: committed {old[:1]}, computed {new[:1]}"]
    header = new[0]
    width = 2 if header[:2] == ["A", "B"] else 1
    old_rows = {" − ".join(r[:width]): r for r in old[1:]}
    new_rows = {" − ".join(r[:width]): r for r in new[1:]}
    problems = [f"{label}: row {k!r} committed but not computed" for k in old_rows if k not in new_rows]
    problems += [f"{label}: row {k!r} computed but not committed" for k in new_rows if k not in old_rows]
    for key in (k for k in new_rows if k in old_rows):
        for column, a, b in zip(header, old_rows[key], new_rows[key]):
            if not _same(a, b):
                problems.append(f"{label}: {key} {column}: committed {a}, computed {b}")
    if not problems and list(old_rows) != list(new_rows):
        problems.append(f"{label}: row order differs")
    return problems


def _same(a: str, b: str) -> bool:
    try:
        return a == b or float(a) == float(b)
    except ValueError:
        return False


def _compare_text(old: Path, new: Path, label: str) -> list[str]:
    if not old.exists():
        return [f"{label}: not committed"]
    a = _DATE_LINE.sub(r"\1…", old.read_text()).splitlines()
    b = _DATE_LINE.sub(r"\1…", new.read_text()).splitlines()
    if a == b:
        return []
    diff = list(difflib.unified_diff(a, b, f"committed/{label}", f"computed/{label}", lineterm="", n=1))
    shown = diff[:DIFF_LINES] + ([f"… {len(diff) - DIFF_LINES} more diff lines"] if len(diff) > DIFF_LINES else [])
    return [f"{label} differs:\n" + "\n".join(shown)]
