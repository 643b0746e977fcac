"""KADID-10k, official release layout.

``dmos.csv`` has the columns ``dist_img, ref_img, dmos, var``: despite its name ``dmos`` is a mean
opinion score on 1–5, higher is better. ``images/`` holds the 81 references (``I01.png``) beside
the 10,125 distorted images (``I01_01_01.png``: reference, distortion type 1–25, level 1–5).
The standard deviation is the square root of ``var``; the group is the reference image.
"""

from __future__ import annotations

from pathlib import Path

from iqabench.dataset import DatasetCard, ReadResult, Sample

from .labels import UniqueNames, find_label_file, parse_mos, parse_number, read_csv, standard_deviation, where


def read(card: DatasetCard, root: Path, options: dict) -> ReadResult:
    labels = find_label_file(card, root, options)
    seen = UniqueNames()
    samples = []
    for line, row in read_csv(labels, ["dist_img", "ref_img", "dmos", "var"]):
        at = where(labels, line)
        seen.add(row["dist_img"], at)
        relative = f"images/{row['dist_img']}"
        samples.append(Sample(
            id=relative,
            path=root / relative,
            ref_path=root / "images" / row["ref_img"],
            mos=parse_mos(card, row["dmos"], at),
            std=standard_deviation(parse_number(row["var"], at, "var"), at),
            group=Path(row["ref_img"]).stem,
        ))
    return ReadResult(samples, labels, "reference")
