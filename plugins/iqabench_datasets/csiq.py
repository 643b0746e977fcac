"""CSIQ (Categorical Subjective Image Quality database), official release layout.

Images: ``src_imgs/<image>.png`` (30 references) and ``dst_imgs/<type>/<image>.<TYPE>.<level>.png``,
e.g. ``dst_imgs/awgn/1600.AWGN.1.png`` (folder case varies between copies; matched ignoring case).
Labels, the first found of:

- ``csiq.DMOS.xlsx``, the official workbook: sheet ``all_by_image``, a header row with the columns
  ``image, dst_idx, dst_type, dst_lev, dmos_std, dmos`` (read with :mod:`.xlsx`, no openpyxl needed);
- ``meta_info_CSIQDataset.csv``, pyiqa's conversion of it: ``ref_name, dist_name, dmos``.

866 distorted images; DMOS 0–1, lower is better. The group is the reference image.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .labels import UniqueNames, check_mos, find_label_file, parse_number, read_csv, where
from .paths import CaseInsensitivePaths
from .xlsx import read_sheet

LABEL_FILES = ("csiq.DMOS.xlsx", "meta_info_CSIQDataset.csv")
SHEET = "all_by_image"
#: dst_type in the workbook -> the type as spelled in file names; its folder is that in lower case.
TYPES = {"noise": "AWGN", "jpeg": "JPEG", "jpeg 2000": "jpeg2000", "fnoise": "fnoise", "blur": "BLUR",
         "contrast": "contrast"}
COLUMNS = ("image", "dst_type", "dst_lev", "dmos_std", "dmos")


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options, LABEL_FILES)
    rows = workbook_rows(labels) if labels.suffix.lower() == ".xlsx" else metainfo_rows(labels)
    resolve = CaseInsensitivePaths(root)
    seen = UniqueNames()
    samples = []
    for at, image, distorted, dmos, std in rows:
        check_mos(card, dmos, at)
        seen.add(distorted, at)
        relative = f"dst_imgs/{distorted.split('.')[1].lower()}/{distorted}"
        samples.append(Sample(
            id=relative, path=resolve(relative), ref_path=resolve(f"src_imgs/{image}.png"),
            mos=dmos, std=std, group=image,
        ))
    return ReadResult(samples, labels, "reference")


def metainfo_rows(path: Path) -> list[tuple[str, str, str, float, None]]:
    """(where, image, distorted file name, dmos, std) from pyiqa's meta-info CSV."""
    rows = []
    for line, row in read_csv(path, ["ref_name", "dist_name", "dmos"]):
        at = where(path, line)
        if row["dist_name"].count(".") != 3:
            raise DatasetError(f"{at}: dist_name {row['dist_name']!r} is not of the form 1600.AWGN.1.png.")
        rows.append((at, Path(row["ref_name"]).stem, row["dist_name"], parse_number(row["dmos"], at), None))
    return rows


def workbook_rows(path: Path) -> list[tuple[str, str, str, float, float]]:
    """(where, image, distorted file name, dmos, std) from sheet ``all_by_image`` of the workbook."""
    sheet = read_sheet(path, SHEET)
    header_at = next((i for i, (_, cells) in enumerate(sheet) if {"image", "dmos"} <= _texts(cells)), None)
    if header_at is None:
        raise DatasetError(f"{path}, sheet {SHEET!r}: no header row with columns {list(COLUMNS)}.")
    number, header = sheet[header_at]
    columns = {str(v).strip().lower(): c for c, v in header.items() if isinstance(v, str)}
    absent = [name for name in COLUMNS if name not in columns]
    if absent:
        raise DatasetError(f"{path}, sheet {SHEET!r}, row {number}: header lacks column(s) {absent}.")
    rows = []
    for number, cells in sheet[header_at + 1:]:
        values = {name: cells.get(column) for name, column in columns.items()}
        if values["image"] in (None, ""):
            continue
        at = f"{path}, sheet {SHEET!r}, row {number}"
        rows.append((at, _name(values["image"]), distorted_name(values, at),
                     parse_number(values["dmos"], at, "DMOS"), parse_number(values["dmos_std"], at, "dmos_std")))
    return rows


def distorted_name(values: dict, at: str) -> str:
    """``1600.AWGN.1.png`` from the row's image, dst_type and dst_lev."""
    kind = str(values["dst_type"]).strip().lower()
    if kind not in TYPES:
        raise DatasetError(f"{at}: dst_type {values['dst_type']!r} is not one of {sorted(TYPES)}.")
    level = parse_number(values["dst_lev"], at, "dst_lev")
    return f"{_name(values['image'])}.{TYPES[kind]}.{int(level)}.png"


def _name(value) -> str:
    """Workbook cells hold 1600 as a number: give it back as the file name stem "1600"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _texts(cells: dict) -> set[str]:
    return {v.strip().lower() for v in cells.values() if isinstance(v, str)}
