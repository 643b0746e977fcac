"""GFIQA-20k for training (§VI-A): the images the ``gfiqa`` dataset reader finds in any folder of the release's
layout, the seeded 70/10/20 split (train, validation, test) computed from the label file's rows, and the batches.

The split is a permutation by ``numpy.random.default_rng(seed)`` of the sorted sample ids of every row of the
label file, present or not (so the same label file and seed always give the same split, whichever images a
copy lacks): the first round(0.7 n) train, the next round(0.1 n) validation, the rest test. Images missing from
the folder are left out of their part and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .model import to_model_input

FRACTIONS = (0.7, 0.1, 0.2)
PARTS = ("train", "validation", "test")


def split_ids(ids, seed: int, fractions=FRACTIONS) -> dict[str, list[str]]:
    """The seeded split of ``ids`` into :data:`PARTS` (sorted lists)."""
    ordered = sorted(ids)
    order = np.random.default_rng(seed).permutation(len(ordered))
    train = round(fractions[0] * len(ordered))
    validation = train + round(fractions[1] * len(ordered))
    cuts = {"train": order[:train], "validation": order[train:validation], "test": order[validation:]}
    return {part: sorted(ordered[i] for i in rows) for part, rows in cuts.items()}


@dataclass
class GfiqaData:
    """The samples of each part that are present (id, path, MOS on [0, 1]) and what the split was made from."""

    parts: dict[str, list]
    manifest: dict
    #: every label row's id in each part, present or not (what ``--subset FILE.json:PART`` takes).
    split: dict[str, list[str]] | None = None

    def write_split(self, path: Path) -> Path:
        """The split as JSON (``train``, ``validation``, ``test`` id lists and how they were drawn), for
        ``iqabench run --subset <path>:test``."""
        import json

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({key: self.manifest[key] for key in ("label_file_sha256", "seed", "how")}
                                   | self.split, indent=1) + "\n")
        return path

    @classmethod
    def open(cls, root: Path, labels: Path | None = None, seed: int = 0, dataset: str = "gfiqa") -> "GfiqaData":
        from iqabench.dataset import open_dataset
        from iqabench.plugins import load_registry

        spec = load_registry().dataset(dataset)
        opened = open_dataset(spec, Path(root), {"labels": str(labels)} if labels else None)
        every = opened.samples + opened.missing + [refused.sample for refused in opened.refused]
        split = split_ids([sample.id for sample in every], seed)
        low, high = spec.card.mos_range or (0.0, 1.0)
        present = {sample.id: sample for sample in opened.samples}
        parts = {part: [(present[i].id, present[i].path, (present[i].mos - low) / (high - low))
                        for i in ids if i in present] for part, ids in split.items()}
        if not parts["train"]:
            raise ValueError(f"no training image of {dataset} is in {root}: {len(opened.missing)} of the "
                             f"{len(every)} images the labels list are missing")
        manifest = {
            "dataset": dataset, "root": str(opened.root), "label_file": str(opened.label_file),
            "label_file_sha256": opened.label_file_sha256, "rows": len(every), "seed": seed,
            "fractions": list(FRACTIONS),
            "how": "numpy.random.default_rng(seed).permutation of the sorted ids of every label row; "
                   "the first round(0.7 n) train, the next round(0.1 n) validation, the rest test",
            "parts": {part: {"rows": len(split[part]), "present": len(parts[part])} for part in PARTS},
            "label_scale": f"(mos - {low}) / ({high} - {low})",
        }
        return cls(parts, manifest, split)


class Images(torch.utils.data.Dataset):
    """(image tensor at ``size``, MOS) of one part; ``flip`` mirrors half the images (training)."""

    def __init__(self, rows: list, size: int, flip: bool = False, seed: int = 0) -> None:
        self.rows, self.size, self.flip, self.seed = rows, size, flip, seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        from iqabench.images import load_image

        _, path, mos = self.rows[index]
        image = to_model_input(load_image(path, channels=3)[None], self.size)[0]
        if self.flip and np.random.default_rng((self.seed, self.epoch, index)).random() < 0.5:
            image = image.flip(-1)
        return image, torch.tensor(mos, dtype=torch.float32)


def loader(rows: list, size: int, batch: int, workers: int = 0, order=None, flip: bool = False, seed: int = 0,
           epoch: int = 0):
    """Batches of ``rows`` in ``order`` (indices; default: as listed)."""
    images = Images(rows, size, flip, seed)
    images.epoch = epoch
    sampler = list(range(len(rows))) if order is None else [int(i) for i in order]
    return torch.utils.data.DataLoader(images, batch_size=batch, sampler=sampler, num_workers=workers,
                                       drop_last=False)


__all__ = ["FRACTIONS", "GfiqaData", "Images", "PARTS", "loader", "split_ids"]
