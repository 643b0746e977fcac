"""A synthetic full-reference set in the spirit of KADID-10k (Lin, Hosu & Saupe, QoMEX 2019): every clean
reference degraded by every kind of :mod:`.distortions` at its five levels, split by reference. It is
written unlabelled; :mod:`.teacher` labels it with measures computed by the harness.

``python -m iqabench_training.kadid_like --out DIR --refs FOLDER ... [--skimage] [--size 192]`` writes, in
pyiqa's meta-info layout (``--dataset metainfo --root DIR``)::

    refs/<ref>.png                      each reference, centre-cropped to --size × --size
    dist/<ref>__<kind>_<level>.png      each distortion of it, levels 1 (mild) to 5 (severe)
    meta_info.csv                       ref_name,dist_name,mos,split,kind,level,parameter (mos empty)
    meta_info_train.csv, meta_info_test.csv   the rows of each split
    manifest.json                       sources with sha256, settings, each reference's split

A reference's split and its distortions' random draws depend only on its name and ``--seed``, never on
the other references: a set built from fewer sources holds byte-identical images with the same split, so
a small set (CI's) is a subset of the training set's, held-out references included. ``--only test`` writes
the held-out references alone (what an evaluation needs).
"""

from __future__ import annotations

import csv
import hashlib
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from .distortions import KINDS, LEVEL_COUNT, distort
from .synthetic_fr import Reference, parse_references, reference_parser, references, report

COLUMNS = ("ref_name", "dist_name", "mos", "split", "kind", "level", "parameter")


def _name_number(name: str, seed: int) -> int:
    """A 64-bit number fixed by a reference's name and the seed."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "big")


def split_of(name: str, seed: int, test_share: float) -> str:
    """``test`` for a share ``test_share`` of reference names (by hash), else ``train``."""
    return "test" if _name_number(name, seed) / 2**64 < test_share else "train"


def _write_reference(out: Path, ref: Reference, seed: int, split: str) -> list[dict]:
    """Write one reference and its distortions; their meta-info rows."""
    ref_name = f"refs/{ref.name}.png"
    Image.fromarray(ref.image).save(out / ref_name)
    rng = np.random.default_rng(_name_number(ref.name, seed))
    rows = []
    for kind in KINDS:
        for level in range(1, LEVEL_COUNT + 1):
            distorted, parameter = distort(ref.image, kind, level, rng)
            dist_name = f"dist/{ref.name}__{kind}_{level}.png"
            Image.fromarray(distorted).save(out / dist_name)
            rows.append({"ref_name": ref_name, "dist_name": dist_name, "mos": "", "split": split, "kind": kind,
                         "level": level, "parameter": parameter})
    return rows


def write_meta_info(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]) if rows else list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def build(out: Path, sources: list[Path], *, with_skimage: bool = False, size: int = 192, seed: int = 0,
          test_share: float = 0.15, only: str | None = None, workers: int = 1, progress=None) -> dict:
    """Write the set into ``out`` (see the module docstring); returns the manifest."""
    refs, skipped = references(sources, with_skimage, size)
    if len(refs) < 2:
        raise ValueError(f"need at least two references of {size}×{size} pixels or more; found {len(refs)}")
    splits = {ref.name: split_of(ref.name, seed, test_share) for ref in refs}
    if only is not None:
        refs = [ref for ref in refs if splits[ref.name] == only]
        if not refs:
            raise ValueError(f"no reference falls in the {only!r} split; give more references")
    (out / "refs").mkdir(parents=True, exist_ok=True)
    (out / "dist").mkdir(exist_ok=True)
    rows = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(_write_reference, out, ref, seed, splits[ref.name]) for ref in refs]
        for done, job in enumerate(jobs, 1):
            rows.extend(job.result())
            if progress is not None:
                progress(done, len(refs))
    write_meta_info(out / "meta_info.csv", rows)
    for split in ("train", "test"):
        write_meta_info(out / f"meta_info_{split}.csv", [r for r in rows if r["split"] == split])
    manifest = {
        "what": "KADID-10k-like synthetic full-reference set, unlabelled (label it with iqabench_training.teacher)",
        "settings": {"size": size, "seed": seed, "test_share": test_share, "only": only, "kinds": list(KINDS),
                     "levels": LEVEL_COUNT},
        "references": [{"name": r.name, "source": r.source, "sha256": r.sha256, "split": splits[r.name]}
                       for r in refs],
        "skipped_smaller_than_size": skipped,
        "images": len(rows),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = reference_parser("python -m iqabench_training.kadid_like", __doc__.split("\n\n")[0], 192)
    parser.add_argument("--test-share", type=float, default=0.15,
                        help="Share of references held out, by a hash of their names (default 0.15).")
    parser.add_argument("--only", choices=("train", "test"), default=None,
                        help="Write the references of this split alone (default: both).")
    parser.add_argument("--workers", type=int, default=1, help="Processes writing references (default 1).")
    args = parse_references(parser, argv)
    manifest = build(args.out, args.refs, with_skimage=args.skimage, size=args.size, seed=args.seed,
                     test_share=args.test_share, only=args.only, workers=args.workers,
                     progress=lambda done, total: print(f"{done}/{total} references", flush=True))
    report(manifest, args.out, args.size)

if __name__ == "__main__":
    main()
