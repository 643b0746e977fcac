"""Any dataset described by a pyiqa meta-info CSV (``pyiqa/data/meta_info/meta_info_*Dataset.csv``).

The label file is ``options["labels"]`` or ``<root>/meta_info.csv``. Columns are read by position,
as pyiqa does:

- no-reference (no ``dist_name`` column): image name, MOS, then anything else;
- full-reference (a ``dist_name`` column): reference name, distorted name, MOS, then anything else.

A column named ``std`` gives the standard deviation and one named ``split`` the split (kept as
written). Names are paths relative to the root, or to the folders in options ``images`` and
``refs``. The group is the reference image for full-reference files. The card cannot know the file's
scale or direction: it checks no range and assumes higher is better, so a DMOS file (CSIQ, LIVE)
gives correlations of the opposite sign; their own cards read those files the right way round.

A file whose MOS column is empty in every row is unlabelled: metrics score its images, and no
correlation is computed (a synthetic set waiting for its label, for example). Empty MOS cells beside
filled ones are an error.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .labels import UniqueNames, csv_header, find_label_file, parse_mos, parse_number, read_csv, where


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options)
    columns = leading_columns(labels)
    full_reference = len(columns) == 3
    images = PurePosixPath(options.get("images", ""))
    refs = PurePosixPath(options.get("refs", options.get("images", "")))
    seen = UniqueNames()
    samples = []
    rows = list(read_csv(labels, columns))
    mos_column = columns[2] if full_reference else columns[1]
    unlabelled = bool(rows) and all(not row[mos_column].strip() for _, row in rows)
    for line, row in rows:
        at = where(labels, line)
        name, mos_text = (row["dist_name"], row[columns[2]]) if full_reference else (row[columns[0]], row[columns[1]])
        if not name.strip() or (full_reference and not row[columns[0]].strip()):
            raise DatasetError(f"{at}: the image name is empty; fix or remove this row.")
        seen.add(name, at)
        relative = (images / name).as_posix()
        ref = (refs / row[columns[0]]).as_posix() if full_reference else None
        samples.append(Sample(
            id=relative,
            path=root / relative,
            ref_path=root / ref if ref else None,
            mos=None if unlabelled else parse_mos(card, mos_text, at),
            std=parse_number(row["std"], at, "std") if row.get("std") else None,
            group=row[columns[0]] if full_reference else None,
            split=row.get("split") or None,
        ))
    return ReadResult(samples, labels, "reference" if full_reference else None)


def leading_columns(labels: Path) -> list[str]:
    """The columns read by position: [name, mos], or [ref_name, dist_name, mos] when there is a
    ``dist_name`` column; [] for an empty file (which :func:`read_csv` then reports)."""
    header = csv_header(labels)
    full_reference = "dist_name" in header
    columns = header[:3] if full_reference else header[:2]
    if header and (len(columns) < 2 + full_reference or (full_reference and columns[1] != "dist_name")):
        raise DatasetError(
            f"{labels}: header {header} is not a pyiqa meta-info header; expected 'name,mos,...' or "
            "'ref_name,dist_name,mos,...'."
        )
    return columns
