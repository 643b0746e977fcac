"""A synthetic full-reference IQA set: clean references, degraded across kinds and levels, labelled by a
pseudo-quality (:func:`iqabench_training.fr_measures.pseudo_quality`). It stands in for human-labelled
full-reference data (LIVE, CSIQ, TID2013, KADID-10k) where none is available; figures measured on it
rest on the pseudo-label, not on human opinion.

``python -m iqabench_training.synthetic_fr --out DIR --refs FOLDER ... [--skimage]`` writes, in pyiqa's
meta-info layout (read it with ``--dataset metainfo --root DIR``)::

    refs/<ref>.png                      each reference, centre-cropped to --size × --size
    dist/<ref>__<kind>_<level>.png      each distortion of it
    meta_info.csv                       ref_name,dist_name,mos,split,kind,level (every row)
    meta_info_train.csv, meta_info_test.csv   the rows of each split (``--labels`` for either)
    manifest.json                       sources with sha256, settings, the label's definition

The split is by reference (``--test-share`` of them to ``test``, seeded). Distortions (levels 1–4, each
worse than the last): ``blur``, ``noise``, ``jpeg`` of :data:`iqabench.degrade.LEVELS`; ``jpeg2000`` at
:data:`JPEG2000_RATES`; ``resample``: :func:`iqabench.degrade.downscale_upscale` by
:data:`RESAMPLE_FACTORS` with a method drawn per image; ``contrast``: pixel values pulled towards their
mean by :data:`CONTRAST_SCALES`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from iqabench.degrade import LEVELS, RESAMPLE_METHODS, degrade, downscale_upscale

from .fr_measures import GMSD_MAX, pseudo_quality

SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
#: JPEG 2000 compression ratios of levels 1–4 (Pillow/OpenJPEG ``quality_mode="rates"``).
JPEG2000_RATES = (24, 48, 96, 192)
#: downscaling factors of levels 1–4 (resized back to the reference's size).
RESAMPLE_FACTORS = (1 / 1.5, 1 / 2.5, 1 / 4, 1 / 7)
#: the share of contrast kept at levels 1–4.
CONTRAST_SCALES = (0.75, 0.55, 0.4, 0.25)
#: scikit-image's bundled photographs (no download) used with ``--skimage``; ``cat`` is ``chelsea``.
SKIMAGE_PHOTOS = ("astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
                  "hubble_deep_field", "immunohistochemistry", "moon", "retina", "rocket")
KINDS = ("blur", "noise", "jpeg", "jpeg2000", "resample", "contrast")
#: the label's definition in manifest.json, worded as when the module was ``iqabench.synthetic_fr``: the
#: checkpoint manifests record the sha256 of that file.
LABEL = ("pseudo-quality = 0.5 * MS-SSIM + 0.5 * (1 - GMSD / {gmsd_max}), each term clipped to [0, 1], on "
         "BT.601 luma (iqabench.fr_measures); a stand-in for human opinion")


@dataclass(frozen=True)
class Reference:
    name: str
    image: np.ndarray
    source: str
    sha256: str


def distort(image: np.ndarray, kind: str, level: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """``image`` degraded by ``kind`` at ``level`` 1–4, and the parameter used, in words."""
    if kind in LEVELS:
        return degrade(image, kind, level, seed=int(rng.integers(2**31))), f"{LEVELS[kind][level - 1]:g}"
    if kind == "jpeg2000":
        rate = JPEG2000_RATES[level - 1]
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, "JPEG2000", quality_mode="rates", quality_layers=[rate])
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            return np.asarray(decoded.convert("RGB")), f"1:{rate}"
    if kind == "resample":
        method = RESAMPLE_METHODS[int(rng.integers(len(RESAMPLE_METHODS)))]
        factor = RESAMPLE_FACTORS[level - 1]
        return downscale_upscale(image, factor, method), f"{factor:.3f} {method}"
    if kind == "contrast":
        scale = CONTRAST_SCALES[level - 1]
        values = image.astype(np.float64)
        pulled = values.mean() + scale * (values - values.mean())
        return np.clip(np.rint(pulled), 0, 255).astype(np.uint8), f"{scale:g}"
    raise ValueError(f"unknown distortion {kind!r}; known: {', '.join(KINDS)}")


def centre_crop(image: np.ndarray, size: int) -> np.ndarray | None:
    """The image with its shorter side resized to ``size`` (Pillow Lanczos, only ever down) and cropped
    square at the centre; None when it is smaller than ``size``."""
    height, width = image.shape[:2]
    if min(height, width) < size:
        return None
    scale = size / min(height, width)
    if scale < 1:
        resized = Image.fromarray(image).resize((max(size, round(width * scale)), max(size, round(height * scale))),
                                                Image.LANCZOS)
        image = np.asarray(resized)
        height, width = image.shape[:2]
    top, left = (height - size) // 2, (width - size) // 2
    return np.ascontiguousarray(image[top:top + size, left:left + size])


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.stack([image] * 3, axis=-1)
    return image[..., :3]


def references(sources: list[Path], with_skimage: bool, size: int) -> tuple[list[Reference], list[str]]:
    """Every image under ``sources`` (and scikit-image's photos), cropped; and the names skipped (too small)."""
    found, skipped = [], []
    for source in sources:
        paths = sorted(p for p in source.rglob("*") if p.suffix.lower() in SUFFIXES) if source.is_dir() else [source]
        for path in paths:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as opened:
                image = np.asarray(opened.convert("RGB"))
            cropped = centre_crop(image, size)
            name = _slug(f"{source.name}_{path.relative_to(source).with_suffix('') if source.is_dir() else path.stem}")
            if cropped is None:
                skipped.append(str(path))
                continue
            found.append(Reference(name, cropped, str(path), hashlib.sha256(data).hexdigest()))
    if with_skimage:
        import skimage
        import skimage.data

        for photo in SKIMAGE_PHOTOS:
            image = _rgb(getattr(skimage.data, photo)())
            cropped = centre_crop(image, size)
            if cropped is None:
                skipped.append(f"skimage.data.{photo}")
                continue
            found.append(Reference(f"skimage_{photo}", cropped, f"skimage {skimage.__version__} data.{photo}",
                                   hashlib.sha256(image.tobytes()).hexdigest()))
    names = [r.name for r in found]
    if len(set(names)) != len(names):
        raise ValueError("two references got the same name; pass folders with different names")
    return found, skipped


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def build(out: Path, sources: list[Path], *, with_skimage: bool = False, size: int = 320, seed: int = 0,
          test_share: float = 0.2, progress=None) -> dict:
    """Write the set into ``out`` (see the module docstring); returns the manifest."""
    refs, skipped = references(sources, with_skimage, size)
    if len(refs) < 2:
        raise ValueError(f"need at least two references of {size}×{size} pixels or more; found {len(refs)}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(refs))
    n_test = max(1, round(test_share * len(refs)))
    test = {refs[i].name for i in order[:n_test]}
    (out / "refs").mkdir(parents=True, exist_ok=True)
    (out / "dist").mkdir(exist_ok=True)
    rows = []
    for count, ref in enumerate(refs, 1):
        ref_name = f"refs/{ref.name}.png"
        Image.fromarray(ref.image).save(out / ref_name)
        image_rng = np.random.default_rng([seed, count])
        for kind in KINDS:
            for level in range(1, 5):
                distorted, parameter = distort(ref.image, kind, level, image_rng)
                dist_name = f"dist/{ref.name}__{kind}_{level}.png"
                Image.fromarray(distorted).save(out / dist_name)
                rows.append({"ref_name": ref_name, "dist_name": dist_name,
                             "mos": f"{pseudo_quality(ref.image, distorted):.6f}",
                             "split": "test" if ref.name in test else "train", "kind": kind, "level": level,
                             "parameter": parameter})
        if progress is not None:
            progress(count, len(refs))
    columns = list(rows[0])
    for name, selected in (("meta_info.csv", rows), ("meta_info_train.csv", [r for r in rows if r["split"] == "train"]),
                           ("meta_info_test.csv", [r for r in rows if r["split"] == "test"])):
        with open(out / name, "w", newline="") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(selected)
    manifest = {
        "label": LABEL.format(gmsd_max=GMSD_MAX),
        "settings": {"size": size, "seed": seed, "test_share": test_share, "kinds": list(KINDS),
                     "jpeg2000_rates": list(JPEG2000_RATES), "resample_factors": list(RESAMPLE_FACTORS),
                     "contrast_scales": list(CONTRAST_SCALES), "levels": {k: list(v) for k, v in LEVELS.items()}},
        "references": [{"name": r.name, "source": r.source, "sha256": r.sha256,
                        "split": "test" if r.name in test else "train"} for r in refs],
        "skipped_smaller_than_size": skipped,
        "images": len(rows),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def reference_parser(prog: str, description: str, size: int) -> argparse.ArgumentParser:
    """The options every synthetic-set builder takes: where to write, the references, their size, the seed."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--out", type=Path, required=True, help="Folder to write (created).")
    parser.add_argument("--refs", type=Path, action="append", default=[],
                        help="A clean reference image, or a folder searched recursively (repeatable).")
    parser.add_argument("--skimage", action="store_true", help="Also scikit-image's bundled photographs.")
    parser.add_argument("--size", type=int, default=size, help=f"Side of the square references (default {size}).")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def parse_references(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """Parse ``argv``; a usage error when a ``--refs`` path is missing or no reference is given."""
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.refs if not p.exists()]
    if missing:
        parser.error(f"not found: {', '.join(missing)}")
    if not args.refs and not args.skimage:
        parser.error("give references: --refs PATH (repeatable) and/or --skimage")
    return args


def report(manifest: dict, out: Path, size: int) -> None:
    """Print what a builder wrote: images, references per split, references skipped as too small."""
    test = sum(r["split"] == "test" for r in manifest["references"])
    print(f"{manifest['images']} distorted images of {len(manifest['references'])} references "
          f"({len(manifest['references']) - test} train, {test} test) in {out}; "
          f"{len(manifest['skipped_smaller_than_size'])} skipped as smaller than {size} px")


def main(argv: list[str] | None = None) -> None:
    parser = reference_parser("python -m iqabench_training.synthetic_fr", __doc__.split("\n\n")[0], 320)
    parser.add_argument("--test-share", type=float, default=0.2, help="Share of references held out (default 0.2).")
    args = parse_references(parser, argv)
    manifest = build(args.out, args.refs, with_skimage=args.skimage, size=args.size, seed=args.seed,
                     test_share=args.test_share,
                     progress=lambda done, total: print(f"{done}/{total} references", flush=True))
    report(manifest, args.out, args.size)

if __name__ == "__main__":
    main()
