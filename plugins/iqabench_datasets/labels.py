"""Shared pieces of the readers: finding the label file, reading its rows, checking each value.

Every error names the file, the line (or entry) and what is wrong, and says what to do. Text label
files are UTF-8, with or without a byte-order mark (:func:`read_text`); any other encoding is an error
naming the byte offset and line, never a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from pathlib import Path
from typing import Sequence

from iqabench.dataset import DatasetCard
from iqabench.errors import DatasetError


def find_label_file(card: DatasetCard, root: Path, options: dict, candidates: Sequence[str] = ()) -> Path:
    """``options["labels"]`` (relative to the current folder), else the first of ``candidates`` that
    exists under ``root``, else ``root / card.label_file``. Raises when that file does not exist."""
    if options.get("labels"):
        path = Path(options["labels"]).expanduser().absolute()
    else:
        names = list(candidates) or [card.label_file]
        path = next((root / name for name in names if (root / name).is_file()), root / names[0])
    if not path.is_file():
        raise DatasetError(card.missing_label_file(path, root))
    return path


def where(path: Path, line: int) -> str:
    """How an error names a line of a label file."""
    return f"{path}, line {line}"


def read_text(path: Path) -> str:
    """The text of a label file: UTF-8, with or without a byte-order mark. Raises, naming the byte offset
    and the line, for any other encoding, for NUL bytes (a binary file) and for a file that cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"Label file {path} cannot be read: {exc.strerror or exc}.") from None
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(_not_utf8(path, data, start + exc.start)) from None
    if "\0" in text:
        offset = data.index(b"\0")
        line = data.count(b"\n", 0, offset) + 1
        raise DatasetError(
            f"Label file {path} is not a text file: it holds a NUL byte at byte offset {offset} (line {line}). "
            "Is this the label file? Pass the right one with --labels."
        )
    return text


def _not_utf8(path: Path, data: bytes, offset: int) -> str:
    """The message for a label file that is not UTF-8, its first bad byte at ``offset``."""
    line = data.count(b"\n", 0, offset) + 1
    message = (f"Label file {path} is not UTF-8 text: byte 0x{data[offset]:02X} at byte offset {offset} "
               f"(line {line}) is not valid UTF-8. ")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return message + "It starts with a UTF-16 byte-order mark (Excel's 'Unicode text'): re-save it as UTF-8."
    head = data[:4096]
    if b"\0" in head or sum(byte < 32 and byte not in b"\t\n\r" for byte in head) > len(head) // 20:
        return message + "It does not look like a text file: is this the label file? Pass the right one with --labels."
    return message + (
        "It is probably Latin-1 or Windows-1252 (as Excel saves CSV): re-save it as UTF-8, "
        f"e.g. iconv -f WINDOWS-1252 -t UTF-8 '{path.name}' > utf8.csv, and use that file."
    )


def csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """The column names of a CSV file (its first non-blank row); [] for an empty file."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    try:
        header = next((row for row in reader if any(c.strip() for c in row)), [])
    except csv.Error as exc:
        raise _csv_error(path, reader, exc) from None
    return [cell.strip() for cell in header]


def read_csv(path: Path, required: Sequence[str], delimiter: str = ",") -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV file with a header, as (line number, {column: text}); blank lines skipped.

    Raises when the file is not UTF-8, is empty, lacks a ``required`` column, or a row has the wrong
    number of fields.
    """
    reader = csv.reader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    try:
        return _csv_rows(path, reader, required)
    except csv.Error as exc:
        raise _csv_error(path, reader, exc) from None


def _csv_rows(path: Path, reader, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise DatasetError(f"Label file {path} is empty; expected a header with columns {list(required)}.")
    header = [cell.strip() for cell in header]
    absent = [name for name in required if name not in header]
    if absent:
        raise DatasetError(
            f"{where(path, reader.line_num)}: header {header} lacks column(s) {absent}; expected "
            f"columns {list(required)}. Is this the right label file?"
        )
    rows = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DatasetError(
                f"{where(path, reader.line_num)}: {len(row)} field(s) where the header has {len(header)}; "
                "fix or remove this row."
            )
        rows.append((reader.line_num, {name: cell.strip() for name, cell in zip(header, row, strict=True)}))
    if not rows:
        raise DatasetError(f"Label file {path} has a header but no rows.")
    return rows


def _csv_error(path: Path, reader, exc: csv.Error) -> DatasetError:
    return DatasetError(f"{where(path, max(reader.line_num, 1))}: not readable as CSV ({exc}). Is this the label file?")


def parse_number(text: str, at: str, what: str = "MOS") -> float:
    """``text`` as a finite float; NaN, infinity and non-numbers raise, naming ``at``."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise DatasetError(f"{at}: {what} {text!r} is not a number; fix or remove this row.") from None
    if not math.isfinite(value):
        raise DatasetError(f"{at}: {what} is {text!r}; every image needs a finite score. Fix or remove this row.")
    return value


def parse_mos(card: DatasetCard, text: str, at: str) -> float:
    """A MOS: a finite number within the card's ``mos_range``."""
    value = parse_number(text, at)
    check_mos(card, value, at)
    return value


def check_mos(card: DatasetCard, value: float, at: str) -> None:
    """Raise when ``value`` is NaN, infinite, or outside the card's ``mos_range``."""
    if not math.isfinite(value):
        raise DatasetError(f"{at}: MOS is {value}; every image needs a finite score. Fix the label file.")
    if card.mos_range is not None and not card.mos_range[0] <= value <= card.mos_range[1]:
        lo, hi = card.mos_range
        raise DatasetError(
            f"{at}: MOS {value:g} is outside the range [{lo:g}, {hi:g}] of {card.title or card.name}. "
            "Is this the label file of this dataset?"
        )


class UniqueNames:
    """Remembers where each image was labelled; a second label for one image (in any case) raises."""

    def __init__(self) -> None:
        self.first: dict[str, str] = {}

    def add(self, name: str, at: str) -> None:
        key = name.lower()
        if key in self.first:
            raise DatasetError(
                f"{at}: image {name!r} is labelled again (first at {self.first[key]}). "
                "Each image needs exactly one row; remove the duplicate."
            )
        self.first[key] = at


def standard_deviation(variance: float, at: str) -> float:
    """The square root of a variance read at ``at``; a negative variance raises."""
    if variance < 0:
        raise DatasetError(f"{at}: variance {variance:g} is negative; fix or remove this row.")
    return math.sqrt(variance)
