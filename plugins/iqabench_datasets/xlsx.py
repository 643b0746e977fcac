"""Reads the cell values of one worksheet of an .xlsx workbook with the standard library.

An .xlsx file is a zip of XML parts (ECMA-376): ``xl/workbook.xml`` names the sheets,
``xl/_rels/workbook.xml.rels`` maps them to ``xl/worksheets/sheetN.xml``, and text cells point into
``xl/sharedStrings.xml``. Formulas are read as their cached values, as Excel saved them. This is
enough for label tables and avoids a dependency on openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from iqabench.errors import DatasetError

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

Cell = str | float | None


def read_sheet(path: Path, sheet: str) -> list[tuple[int, dict[int, Cell]]]:
    """Rows of ``sheet`` as (1-based row number, {0-based column: value}); text is str, numbers float."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = _sheet_member(archive, sheet, path)
            strings = _shared_strings(archive)
            xml = ElementTree.fromstring(archive.read(member))
        return list(_rows(xml, strings))
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, ElementTree.ParseError) as exc:
        raise DatasetError(f"{path} is not a readable .xlsx workbook ({type(exc).__name__}: {exc}).") from None


def _rows(xml: ElementTree.Element, strings: list[str]):
    for position, row in enumerate(xml.iter(f"{MAIN}row"), 1):
        cells: dict[int, Cell] = {}
        column = -1
        for cell in row.iter(f"{MAIN}c"):
            column = _column(cell.get("r")) if cell.get("r") else column + 1
            cells[column] = _value(cell, strings)
        yield int(row.get("r", position)), cells


def _sheet_member(archive: zipfile.ZipFile, sheet: str, path: Path) -> str:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{PACKAGE_RELS}Relationship")}
    names = {s.get("name"): targets.get(s.get(RELATIONSHIP_ID)) for s in workbook.iter(f"{MAIN}sheet")}
    if names.get(sheet) is None:
        raise DatasetError(f"{path} has no sheet {sheet!r} (it has {sorted(names)}); is this the official file?")
    target = names[sheet]
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    xml = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in item.iter(f"{MAIN}t")) for item in xml.iter(f"{MAIN}si")]


def _column(reference: str) -> int:
    """``"D12"`` -> 3."""
    letters = re.match(r"[A-Z]+", reference).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _value(cell: ElementTree.Element, strings: list[str]) -> Cell:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
    raw = cell.find(f"{MAIN}v")
    if raw is None or raw.text is None:
        return None
    if kind == "s":
        return strings[int(raw.text)]
    if kind == "n":
        return float(raw.text)
    return raw.text
