"""LIVE Image Quality Assessment Database, Release 2, official layout.

``dmos.mat`` holds ``dmos`` and ``orgs`` (1×982 each) and ``refnames_all.mat`` holds ``refnames_all``
(1×982 cell), all in one order: ``jp2k/img1.bmp`` … ``img227.bmp``, ``jpeg/`` 1–233, ``wn/``,
``gblur/`` and ``fastfading/`` 1–174 each. Entries with ``orgs == 1`` are copies of the reference
images (DMOS 0) and are left out, leaving 779 distorted images. DMOS: lower is better. The reference
is ``refimgs/<refname>``, and is the group. The per-folder ``info.txt`` files are not needed.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample
from iqabench.errors import DatasetError

from .labels import check_mos
from .matfile import cell_strings, check_lengths, load_vector

#: (folder, number of images) in the order of the .mat arrays.
FOLDERS = (("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174))


def image_names() -> list[str]:
    """``jp2k/img1.bmp`` … ``fastfading/img174.bmp``: the 982 entries of the .mat arrays, in order."""
    return [f"{folder}/img{i}.bmp" for folder, count in FOLDERS for i in range(1, count + 1)]


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    dmos = load_vector(card, root, "dmos.mat", "dmos")
    orgs = load_vector(card, root, "dmos.mat", "orgs")
    cells = load_vector(card, root, "refnames_all.mat", "refnames_all")
    names = image_names()
    check_lengths({"dmos.mat:dmos": len(dmos), "dmos.mat:orgs": len(orgs),
                   "refnames_all.mat:refnames_all": len(cells), "the release's 5 folders": len(names)})
    refnames = cell_strings(cells, root / "refnames_all.mat", "refnames_all")
    samples = []
    for index, (name, refname) in enumerate(zip(names, refnames, strict=True)):
        if orgs[index] not in (0, 1):
            raise DatasetError(
                f"{root / 'dmos.mat'}: entry {index + 1} of 'orgs' is {orgs[index]:g}, expected 0 or 1."
            )
        if orgs[index] == 1:
            continue
        check_mos(card, float(dmos[index]), f"{root / 'dmos.mat'}, entry {index + 1} of 'dmos'")
        samples.append(Sample(
            id=name,
            path=root / name,
            ref_path=root / "refimgs" / refname,
            mos=float(dmos[index]),
            group=Path(refname).stem,
        ))
    return ReadResult(samples, root / "dmos.mat", "reference")
