"""Training data: a folder in pyiqa's full-reference meta-info layout (what the ``metainfo`` dataset
reads): ``meta_info.csv`` with columns ``ref_name,dist_name,mos[,split]``, names relative to the folder.

The split is the ``split`` column (``train`` / ``test``) when there is one. Without it, reference images
are split 80/20 at random with the seed (§III-B: "randomly divided into 80% for training and 20% for
testing by the original reference images … no content overlap"), at least one reference on each side.
Labels are mapped to [0, 1] by ``mos_range`` (``(mos − low) / (high − low)``; a reversed range such as
``100 0`` turns a DMOS into higher-is-better); a label outside the range is an error.

Images are decoded once (:func:`iqabench.images.load_image`) and kept as float32 luma, 4 bytes a pixel:
each reference once, however many distorted copies it has.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from iqabench.hashing import file_sha256
from iqabench.images import load_image

from .patches import luma

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Row:
    ref: str
    dist: str
    mos: float
    split: str


def label_file(data: Path) -> Path:
    """``data`` itself when it is a file, else ``data/meta_info.csv``."""
    path = Path(data)
    labels = path if path.is_file() else path / "meta_info.csv"
    if not labels.is_file():
        raise FileNotFoundError(f"{labels} does not exist: --data takes a folder holding meta_info.csv "
                                "(columns ref_name,dist_name,mos[,split]) or the CSV itself")
    return labels


def read_rows(labels: Path, seed: int = 0, test_share: float = 0.2) -> tuple[list[Row], str]:
    """The rows of a meta-info file with their split, and how the split was made."""
    with open(labels, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in ("ref_name", "dist_name", "mos") if name not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{labels}: no column {', '.join(missing)}; msfr trains on a full-reference "
                             f"meta-info file with columns ref_name,dist_name,mos[,split] (header: {reader.fieldnames})")
        raw = []
        for line, row in enumerate(reader, start=2):
            try:
                mos = float(row["mos"])
            except (TypeError, ValueError):
                raise ValueError(f"{labels}, line {line}: mos {row['mos']!r} is not a number") from None
            if not math.isfinite(mos) or not row["ref_name"] or not row["dist_name"]:
                raise ValueError(f"{labels}, line {line}: empty name or non-finite mos")
            raw.append((row["ref_name"], row["dist_name"], mos, (row.get("split") or "").strip()))
    if not raw:
        raise ValueError(f"{labels} has no rows")
    if "split" in (reader.fieldnames or []):
        bad = sorted({split for *_, split in raw if split not in SPLITS})
        if bad:
            raise ValueError(f"{labels}: split must be 'train' or 'test', found {bad}")
        rows = [Row(*fields) for fields in raw]
        how = "the split column of the meta-info file"
    else:
        refs = sorted({ref for ref, *_ in raw})
        if len(refs) < 2:
            raise ValueError(f"{labels}: one reference image only; the split by reference needs at least two")
        order = np.random.default_rng(seed).permutation(len(refs))
        test_count = min(len(refs) - 1, max(1, round(test_share * len(refs))))
        test = {refs[i] for i in order[:test_count]}
        rows = [Row(ref, dist, mos, "test" if ref in test else "train") for ref, dist, mos, _ in raw]
        how = f"no split column: references split {1 - test_share:.0%}/{test_share:.0%} at random (seed {seed})"
    for split in SPLITS:
        if not any(row.split == split for row in rows):
            raise ValueError(f"{labels}: no {split!r} rows")
    train_refs = {row.ref for row in rows if row.split == "train"}
    shared = sorted(train_refs & {row.ref for row in rows if row.split == "test"})
    if shared:
        raise ValueError(f"{labels}: reference {shared[0]!r} (and {len(shared) - 1} more) is in both splits; "
                         "the split must be by reference image")
    return rows, how


def normalised(mos: float, mos_range: tuple[float, float]) -> float:
    low, high = mos_range
    if low == high:
        raise ValueError(f"mos range {mos_range} is empty")
    value = (mos - low) / (high - low)
    if not -1e-9 <= value <= 1 + 1e-9:
        raise ValueError(f"mos {mos} lies outside --mos-range {low} {high}; pass the labels' scale "
                         f"(e.g. --mos-range 1 5, or --mos-range 100 0 for a DMOS)")
    return min(1.0, max(0.0, value))


@dataclass
class LumaSet:
    """Decoded lumas of one split: ``dists[i]`` against ``refs[ref_of[i]]``, label ``targets[i]`` on [0, 1]."""

    names: list[str]
    dists: list[torch.Tensor]
    refs: list[torch.Tensor]
    ref_of: list[int]
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.dists)


def load_split(root: Path, rows: list[Row], split: str, mos_range: tuple[float, float]) -> LumaSet:
    chosen = [row for row in rows if row.split == split]
    ref_index: dict[str, int] = {}
    refs, dists, ref_of = [], [], []
    for row in chosen:
        if row.ref not in ref_index:
            ref_index[row.ref] = len(refs)
            refs.append(_luma_of(root, row.ref))
        dist = _luma_of(root, row.dist)
        if dist.shape != refs[ref_index[row.ref]].shape:
            raise ValueError(f"{row.dist} {tuple(dist.shape)} and its reference {row.ref} "
                             f"{tuple(refs[ref_index[row.ref]].shape)} differ in size")
        dists.append(dist)
        ref_of.append(ref_index[row.ref])
    targets = np.array([normalised(row.mos, mos_range) for row in chosen], dtype=np.float32)
    return LumaSet([row.dist for row in chosen], dists, refs, ref_of, targets)


def _luma_of(root: Path, name: str) -> torch.Tensor:
    try:
        return luma(load_image(root / name))
    except Exception as exc:
        raise ValueError(f"{root / name}: {exc}") from None


def manifest(root: Path, labels: Path, rows: list[Row], how: str, hash_images: bool = True) -> dict:
    """What the checkpoint records about its data: the label file's sha256, the split, counts, and the
    sha256 of every image (``files``)."""
    names = sorted({row.ref for row in rows} | {row.dist for row in rows})
    counts = {split: {"images": sum(row.split == split for row in rows),
                      "references": len({row.ref for row in rows if row.split == split})} for split in SPLITS}
    return {"root": str(root), "labels": {"path": str(labels), "sha256": file_sha256(labels)}, "split": how,
            "counts": counts, "test_references": sorted({row.ref for row in rows if row.split == "test"}),
            "files": [{"path": name, "sha256": file_sha256(root / name)} for name in names] if hash_images else []}


__all__ = ["LumaSet", "Row", "label_file", "load_split", "manifest", "normalised", "read_rows"]
