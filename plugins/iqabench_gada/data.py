"""Training data of the three phases (§3.1, §4.2), held in memory as uint8 pixels and cut into random
aligned crops.

* :class:`FullReferenceSet`: references with distorted versions, their distortion class and a quality
  label: a folder in pyiqa's meta-info layout, ``meta_info.csv`` with columns ``ref_name,dist_name,mos,split``
  (names relative to the folder) and optionally ``kind``. Without a ``kind`` column the class is read
  from the distorted file's name, ``<ref stem>__<kind>_<level>.<ext>``. ``mos`` is higher-is-better.
  The ``split`` column (``train``/``test``, split by reference as in §4.2) decides what is trained on.
  Phases 1 and 2 draw from it (AC-GAN pairs; references and conditions for the generator).
* :class:`LabelledSet`: images with a quality label only (phase 3: "real distorted images from the
  IQA training set"): the distorted images of a :class:`FullReferenceSet`, or the images of a registered
  dataset (read with its iqabench reader) listed in a split file's ``train`` part. Labels are mapped to
  [0, 1] through the dataset card's MOS range, reversed for lower-is-better labels (DMOS).

Every image goes through :func:`iqabench.images.load_image`, the decoder the metric uses at test time.
A crop is ``crop``×``crop`` pixels at a uniformly random position (§4.2, "we randomly crop each image").
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from iqabench.hashing import file_sha256
from iqabench.images import load_image

META_INFO = "meta_info.csv"
#: ``<ref stem>__<kind>_<level>``: the distorted file's stem names its distortion kind and level.
DISTORTED_NAME = re.compile(r"__(?P<kind>.+)_(?P<level>[^_]+)$")


@dataclass(frozen=True)
class Pair:
    """One row of a full-reference meta-info file."""

    ref: str
    dist: str
    mos: float
    split: str | None
    kind: str


def kind_of(dist_name: str) -> str:
    """The distortion kind in a distorted file's name (``dist/img1__blur_3.png`` -> ``blur``)."""
    match = DISTORTED_NAME.search(Path(dist_name).stem)
    if match is None:
        raise ValueError(f"{dist_name!r}: the distortion kind is not in the name (expected "
                         "<ref stem>__<kind>_<level>.<ext>) and the meta-info file has no 'kind' column")
    return match["kind"]


def read_pairs(folder: Path) -> list[Pair]:
    """Every row of ``folder/meta_info.csv``."""
    labels = Path(folder) / META_INFO
    if not labels.is_file():
        raise FileNotFoundError(f"{labels} does not exist: a full-reference training set is a folder with a "
                                f"{META_INFO} (ref_name,dist_name,mos,split[,kind]) and its images")
    with open(labels, newline="") as f:
        rows = list(csv.DictReader(f))
    missing = {"ref_name", "dist_name", "mos"} - set(rows[0] if rows else {})
    if not rows or missing:
        raise ValueError(f"{labels}: expected columns ref_name,dist_name,mos[,split,kind]; "
                         + ("it has no rows" if not rows else f"missing {sorted(missing)}"))
    return [Pair(row["ref_name"], row["dist_name"], float(row["mos"]), row.get("split") or None,
                 row.get("kind") or kind_of(row["dist_name"])) for row in rows]


def _pixels(path: Path) -> np.ndarray:
    """(H, W, 3) uint8, decoded as the metric decodes it."""
    return (load_image(path).mul(255).round().byte().permute(1, 2, 0).numpy()).copy()


def _crop_corners(rng: np.random.Generator, shape: tuple[int, int], crop: int, count: int) -> np.ndarray:
    height, width = shape
    if height < crop or width < crop:
        raise ValueError(f"an image of {width}×{height} pixels is smaller than the {crop}-pixel crop")
    return np.stack([rng.integers(0, height - crop + 1, count), rng.integers(0, width - crop + 1, count)], 1)


def to_tensor(crops: list[np.ndarray]) -> torch.Tensor:
    """uint8 (H, W, 3) crops -> float (N, 3, H, W) on [0, 1]."""
    return torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255)


class FullReferenceSet:
    """The ``split`` part (default ``train``) of a full-reference meta-info folder, in memory.

    ``classes`` fixes the class order (a resumed run passes the checkpoint's); by default it is the
    sorted kinds of the whole file, so train and test parts share it."""

    def __init__(self, folder: Path, split: str | None = "train", classes: tuple[str, ...] | None = None,
                 limit: int | None = None) -> None:
        self.folder = Path(folder)
        every = read_pairs(self.folder)
        self.classes = tuple(classes) if classes else tuple(sorted({pair.kind for pair in every}))
        unknown = sorted({pair.kind for pair in every} - set(self.classes))
        if unknown:
            raise ValueError(f"{self.folder / META_INFO}: kinds {unknown} are not among the classes {self.classes}")
        splits = {pair.split for pair in every}
        if split is not None and split not in splits:
            raise ValueError(f"{self.folder / META_INFO}: no row has split {split!r} (splits: {sorted(map(str, splits))})")
        self.pairs = [pair for pair in every if split is None or pair.split == split]
        if limit is not None and len(self.pairs) > limit:  # evenly spaced, so that every reference is represented
            self.pairs = [self.pairs[i] for i in np.unique(np.linspace(0, len(self.pairs) - 1, limit).round().astype(int))]
        self.refs = {name: _pixels(self.folder / name) for name in sorted({pair.ref for pair in self.pairs})}
        self.dists = [_pixels(self.folder / pair.dist) for pair in self.pairs]
        for pair, dist in zip(self.pairs, self.dists):
            if dist.shape != self.refs[pair.ref].shape:
                raise ValueError(f"{pair.dist}: {dist.shape[:2]} pixels, its reference {pair.ref} "
                                 f"{self.refs[pair.ref].shape[:2]}; aligned crops need the same size")
        self.labels = np.array([pair.mos for pair in self.pairs], dtype=np.float32)
        self.class_index = np.array([self.classes.index(pair.kind) for pair in self.pairs], dtype=np.int64)
        self.ref_names = sorted(self.refs)

    def __len__(self) -> int:
        return len(self.pairs)

    def manifest(self) -> dict:
        """What was trained on: the label file's sha256 and every image's path and sha256."""
        files = sorted({pair.ref for pair in self.pairs} | {pair.dist for pair in self.pairs})
        return {"folder": str(self.folder), "labels": META_INFO, "labels_sha256": file_sha256(self.folder / META_INFO),
                "pairs": len(self.pairs), "references": len(self.refs), "classes": list(self.classes),
                "files": [{"path": name, "sha256": file_sha256(self.folder / name)} for name in files]}

    def draw_pairs(self, rng: np.random.Generator, count: int, crop: int):
        """``count`` aligned (reference crop, distorted crop) pairs with their class and quality: tensors
        (N, 3, c, c), (N, 3, c, c), (N,) long, (N,) float."""
        rows = rng.integers(0, len(self.pairs), count)
        refs, dists = [], []
        for row in rows:
            dist = self.dists[row]
            (y, x), = _crop_corners(rng, dist.shape[:2], crop, 1)
            refs.append(self.refs[self.pairs[row].ref][y:y + crop, x:x + crop])
            dists.append(dist[y:y + crop, x:x + crop])
        return (to_tensor(refs), to_tensor(dists), torch.from_numpy(self.class_index[rows]),
                torch.from_numpy(self.labels[rows]))

    def draw_conditions(self, rng: np.random.Generator, count: int, crop: int):
        """Inputs of generated training images (phase 2, §3.1): crops of random references, each with a class
        and a quality drawn from the labels of another, independent row, so that the generator makes
        distorted versions no one labelled. Tensors (N, 3, c, c), (N,) long, (N,) float."""
        refs = []
        for index in rng.integers(0, len(self.ref_names), count):
            ref = self.refs[self.ref_names[index]]
            (y, x), = _crop_corners(rng, ref.shape[:2], crop, 1)
            refs.append(ref[y:y + crop, x:x + crop])
        rows = rng.integers(0, len(self.pairs), count)
        return to_tensor(refs), torch.from_numpy(self.class_index[rows]), torch.from_numpy(self.labels[rows])


class LabelledSet:
    """Images with a quality label on [0, 1], for the evaluator alone (phase 3, the direct baseline's
    fine-tuning and validation figures)."""

    def __init__(self, images: list[np.ndarray], labels: list[float], manifest: dict) -> None:
        if not images:
            raise ValueError("no labelled images to train on")
        self.images, self.labels, self._manifest = images, np.asarray(labels, dtype=np.float32), manifest

    def __len__(self) -> int:
        return len(self.images)

    def manifest(self) -> dict:
        return self._manifest

    @classmethod
    def from_full_reference(cls, data: FullReferenceSet) -> "LabelledSet":
        """The distorted images of ``data`` and their ``mos`` (already on [0, 1] in the synthetic set)."""
        return cls(data.dists, list(data.labels), {"source": "full-reference set", **data.manifest()})

    @classmethod
    def from_dataset(cls, name: str, root: Path, split_file: Path, part: str = "train",
                     limit: int | None = None, registry=None) -> "LabelledSet":
        """The images of registered dataset ``name`` at ``root`` that ``split_file``'s ``part`` lists (ids as
        the dataset names its samples), labels mapped to [0, 1] by the card's MOS range. ``registry``: the
        plugins' registry already loaded (default: loaded now)."""
        from iqabench.dataset import open_dataset
        from iqabench.plugins import load_registry

        spec = (registry or load_registry()).dataset(name)
        dataset = open_dataset(spec, Path(root))
        wanted = set(read_split(split_file)[part])
        samples = sorted((s for s in dataset.samples if s.id in wanted), key=lambda s: s.id)[:limit]
        absent = wanted - {s.id for s in dataset.samples}
        if absent and limit is None:
            raise ValueError(f"{split_file}: {len(absent)} of the {part!r} images are not in {name} at {root} "
                             f"(first: {sorted(absent)[0]})")
        card = spec.card
        low, high = card.mos_range or (min(s.mos for s in samples), max(s.mos for s in samples))
        labels = [(s.mos - low) / (high - low) for s in samples]
        if card.lower_better:
            labels = [1.0 - value for value in labels]
        manifest = {"source": f"dataset {name}", "root": str(Path(root)), "split_file": Path(split_file).name,
                    "split_sha256": file_sha256(split_file), "part": part, "images": len(samples),
                    "label_scale": f"(mos - {low}) / ({high} - {low})" + (", reversed" if card.lower_better else ""),
                    "files": [{"path": s.id, "sha256": file_sha256(s.path)} for s in samples]}
        return cls([_pixels(s.path) for s in samples], labels, manifest)

    def draw(self, rng: np.random.Generator, count: int, crop: int):
        """``count`` crops of random images and their labels: (N, 3, c, c), (N,) float."""
        rows = rng.integers(0, len(self.images), count)
        crops = []
        for row in rows:
            image = self.images[row]
            (y, x), = _crop_corners(rng, image.shape[:2], crop, 1)
            crops.append(image[y:y + crop, x:x + crop])
        return to_tensor(crops), torch.from_numpy(self.labels[rows])


def read_split(path: Path) -> dict:
    """A split file: JSON with ``train`` and ``test`` lists of sample ids (and how they were drawn)."""
    split = json.loads(Path(path).read_text())
    if not isinstance(split.get("train"), list) or not isinstance(split.get("test"), list):
        raise ValueError(f"{path}: a split file holds 'train' and 'test' lists of sample ids")
    if set(split["train"]) & set(split["test"]):
        raise ValueError(f"{path}: {len(set(split['train']) & set(split['test']))} ids are in both parts")
    return split


def make_split(ids: list[str], seed: int, train_fraction: float = 0.8) -> dict:
    """A seeded split of ``ids``: a permutation by ``numpy.random.default_rng(seed)`` of the sorted ids, the first
    ``round(train_fraction * n)`` for training."""
    ordered = sorted(ids)
    order = np.random.default_rng(seed).permutation(len(ordered))
    cut = round(train_fraction * len(ordered))
    return {"seed": seed, "train_fraction": train_fraction,
            "how": "numpy.random.default_rng(seed).permutation over the sorted ids; the first round(fraction * n) train",
            "train": sorted(ordered[i] for i in order[:cut]), "test": sorted(ordered[i] for i in order[cut:])}


__all__ = ["FullReferenceSet", "LabelledSet", "Pair", "kind_of", "make_split", "read_pairs", "read_split", "to_tensor"]
