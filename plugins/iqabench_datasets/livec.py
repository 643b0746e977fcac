"""LIVE In the Wild Image Quality Challenge Database (CLIVE), official release layout.

``Data/AllImages_release.mat`` (cell ``AllImages_release``, 1169×1), ``Data/AllMOS_release.mat``
(``AllMOS_release``, 1×1169) and ``Data/AllStdDev_release.mat`` (``AllStdDev_release``, 1×1169) list
the images in one order. The first 7 entries are the training images ``t1.bmp``…``t7.bmp`` shown to
subjects before the study (``Images/trainingImages/``); they are left out as customary, leaving the
1,162 test images in ``Images/``.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample

from .labels import check_mos
from .matfile import cell_strings, check_lengths, load_vector

TRAINING_IMAGES = 7
NAMES, MOS, STD = "Data/AllImages_release.mat", "Data/AllMOS_release.mat", "Data/AllStdDev_release.mat"


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    cells = load_vector(card, root, NAMES, "AllImages_release")
    mos = load_vector(card, root, MOS, "AllMOS_release")
    std = load_vector(card, root, STD, "AllStdDev_release")
    check_lengths({f"{NAMES}:AllImages_release": len(cells), f"{MOS}:AllMOS_release": len(mos),
                   f"{STD}:AllStdDev_release": len(std)})
    names = cell_strings(cells, root / NAMES, "AllImages_release")
    samples = []
    for index in range(TRAINING_IMAGES, len(names)):
        check_mos(card, float(mos[index]), f"{root / MOS}, entry {index + 1}")
        relative = f"Images/{names[index]}"
        samples.append(Sample(id=relative, path=root / relative, mos=float(mos[index]), std=float(std[index])))
    return ReadResult(samples, root / MOS, None)
