"""Faces in one folder per person, labelled with their effective resolution (Kansy et al.'s evaluation).

Layout: ``<root>/<person>/<image>`` and ``<root>/labels.csv`` (or ``options["labels"]``) with the
columns ``image,effective_resolution``: ``image`` is the path relative to the root
(``anna/003.png``), ``effective_resolution`` the fraction of the pixel resolution the face really has
(1 = sharp at this size, 0.25 = looks enlarged ×4), within the card's range. The group of an image is
its person folder, so the grouped statistics are the paper's: SRCC and PRA within each person, then
their mean over persons. Only the order within a person matters to them.

Every fault is its own error naming the file and line: no label file (with the layout), a row naming
an image at the root rather than in a person folder (or deeper than one folder), an absolute or
``..`` path, a label that is not a number, NaN or infinite, or outside the range, and an image
labelled twice (in any case). A labelled image that is absent is not an error here: the sample is
returned, :func:`iqabench.dataset.open_dataset` counts it as missing, and ``iqabench run`` refuses a
dataset with missing images unless ``--allow-missing`` is passed (as for every dataset). Image files
that no row names are never dropped silently: they raise, listing the first of them (those at the root
with their own message: they are in no person folder), as an unlabelled image is as wrong here as a row
without a score.
Hidden files and folders (``.name``) are skipped; files that are not images (``README.txt``) too.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .folder import EXTENSIONS
from .labels import UniqueNames, check_mos, parse_number, read_csv, where

LABEL_FILE = "labels.csv"
COLUMNS = ["image", "effective_resolution"]
EXAMPLE = """\
    image,effective_resolution
    anna/000.png,1.0
    anna/001.png,0.25
    ben/000.png,1.0
    ben/001.png,0.6"""


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = label_file(card, root, options)
    seen = UniqueNames()
    samples = []
    for line, row in read_csv(labels, COLUMNS):
        at = where(labels, line)
        name = image_name(row["image"], at)
        seen.add(name, at)
        value = parse_number(row["effective_resolution"], at, "effective_resolution")
        check_mos(card, value, at)
        samples.append(Sample(id=name, path=root / name, mos=value, group=PurePosixPath(name).parts[0]))
    unlabelled = sorted(set(image_files(root)) - {s.id for s in samples})
    at_root = [name for name in unlabelled if "/" not in name]
    if at_root:
        raise DatasetError(
            f"{len(at_root)} image file(s) at the root of {root}, not in a person folder: {at_root[:5]}. Images "
            f"are grouped by person: move each into <root>/<person>/ and give it a row in {labels}."
        )
    if unlabelled:
        raise DatasetError(
            f"{len(unlabelled)} image file(s) under {root} have no row in {labels}, first: {unlabelled[:5]}. "
            f"Every image of a person folder needs a label: add a row '<person>/<file>,<effective resolution>' "
            f"for each, or move them out of {root}."
        )
    return ReadResult(samples, labels, "person")


def label_file(card: DatasetCard, root: Path, options: dict) -> Path:
    """``options["labels"]`` (relative to the current folder), else ``<root>/labels.csv``."""
    if options.get("labels"):
        path = Path(options["labels"]).expanduser().absolute()
    else:
        path = root / (card.label_file or LABEL_FILE)
    if not path.is_file():
        raise DatasetError(
            f"Label file {path} not found. A {card.name!r} dataset has one folder per person under {root} and "
            f"a label file {LABEL_FILE} at its root, one row per image (the image's path relative to the root, "
            f"and the fraction of its pixel resolution the face really has, 1 = sharp):\n{EXAMPLE}\n"
            f"Write that file (or pass --labels FILE); python -m iqabench_effres.testset builds a complete one "
            f"from clean faces."
        )
    return path


def image_name(text: str, at: str) -> str:
    """A row's ``image``: a relative path ``<person>/<file>``, with forward slashes."""
    name = text.replace("\\", "/")
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "." in name.split("/"):
        raise DatasetError(
            f"{at}: image {text!r} is not a path relative to the dataset root such as 'anna/003.png'; "
            "fix this row."
        )
    if len(path.parts) == 1:
        raise DatasetError(
            f"{at}: image {text!r} is at the root, not in a person folder. Images are grouped by person: move it "
            f"into <root>/<person>/ and write that path ('<person>/{path.name}') in this row."
        )
    if len(path.parts) > 2:
        raise DatasetError(
            f"{at}: image {text!r} is {len(path.parts) - 1} folders deep; images sit directly in their person "
            f"folder (<root>/<person>/<file>). Move it to '{path.parts[0]}/{path.name}' or fix this row."
        )
    return path.as_posix()


def image_files(root: Path) -> list[str]:
    """Every image file under ``root`` (not hidden), as a path relative to it: those of the person
    folders and any elsewhere (at the root, deeper), which a complete label file names."""
    found = []

    def walk(folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir():
                    walk(entry.path, f"{prefix}{entry.name}/")
                elif os.path.splitext(entry.name)[1].lower() in EXTENSIONS:
                    found.append(prefix + entry.name)

    walk(os.fspath(root), "")
    return found
