"""A public dataset laid out as its release ships its images, labelled by pyiqa's meta-info CSV of it.

For datasets whose own label files (spreadsheets, MATLAB files, one text file per reference) are not read
here, the card names pyiqa's conversion (``meta_info_<Name>Dataset.csv``, read by :mod:`.metainfo`) and
says so; the card gives the labels' range and direction, which the generic ``metainfo`` card cannot know.
The card's options place the images: ``images`` and ``refs`` are the folders under the root that hold the
images and the references (a name, or a list of names of which the first present is used; ``refs``
defaults to ``images``). Names are matched to files ignoring case, as releases mix cases (TID2008).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult

from . import metainfo
from .paths import CaseInsensitivePaths, sample_id


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    options = {**card.options, **options}
    images = first_present(root, options.get("images", ""))
    refs = first_present(root, options.get("refs", images))
    result = metainfo.read(card, root, {**options, "images": images, "refs": refs})
    resolve = CaseInsensitivePaths(root)
    samples = [replace(s, path=resolve(sample_id(root, s.path)),
                       ref_path=resolve(sample_id(root, s.ref_path)) if s.ref_path is not None else None)
               for s in result.samples]
    return ReadResult(samples, result.label_file, result.group_by)


def first_present(root: Path, folders: str | list[str]) -> str:
    """The first of ``folders`` that is a folder under ``root``; the first one when none is (its images are
    then reported missing under that folder's name)."""
    names = [folders] if isinstance(folders, str) else list(folders)
    return next((name for name in names if (root / name).is_dir()), names[0] if names else "")
