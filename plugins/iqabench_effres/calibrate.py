"""Fit a checkpoint's calibration (:mod:`.calibration`) on held-out faces and write the checkpoint with it.

    python -m iqabench_effres.calibrate --checkpoint effres.pt --faces ../shared/data/faces \\
        --subset sharp-val --size 256 --out effres-calibrated.pt

The faces are a list of the split file (:mod:`.testset`), each resized to ``--size`` (where its own pixels
are sharp, so its label 1 holds). Each face is scored as it is (truth 1) and as ``--versions`` copies
resampled at random factors in [1/16, 1) with this project's TensorFlow kernels and as many with Pillow's
filters (truth: the factor); no nuisances. A version where the mask finds no face is left out and counted.
The raw scores (the network's own; a calibration the checkpoint already holds is replaced) are regressed on
the truths.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import checkpoint
from .calibration import Calibration, fit
from .inference import NoFaceError, read_face
from .masks import masker
from .model import network_of
from .testset import SPLIT_FILE, BuildError, face_copies

#: degraded copies per face and resampler (default).
VERSIONS = 20


def fitting_scores(payload: dict, faces: Path, subset: str, size: int, versions: int, seed: int,
                   mask: str = "mediapipe", split_file: Path = SPLIT_FILE) -> tuple[list[float], list[float], int]:
    """(raw scores, truths, versions without a face) over the clean faces and their resampled copies."""
    import torch

    model = network_of(payload).to(memory_format=torch.channels_last).eval()
    patch = int(payload["config"]["settings"]["patch"])
    face_masker = masker(mask)
    raw, truth, skipped = [], [], 0
    for resampler in ("tf", "pillow"):
        for _, k, image, version in face_copies(faces, split_file, subset, None, size, versions, seed,
                                                resampler, nuisances=False):
            if k == 0 and resampler == "pillow":
                continue  # the clean face once
            try:
                result = read_face(model, image, face_masker.mask(image), patch, torch.device("cpu"))
            except NoFaceError:
                skipped += 1
                continue
            raw.append(result.score)
            truth.append(version.factor)
    return raw, truth, skipped


def calibrate(source: Path, out: Path, faces: Path, subset: str, size: int, versions: int = VERSIONS,
              seed: int = 0) -> tuple[Calibration, dict]:
    """Fit the calibration of ``source`` and write ``out`` (``source`` with it); the calibration and figures
    (images, faces without a face found, mean absolute error before and after, on the fitting images)."""
    payload = checkpoint.load(source)
    raw, truth, skipped = fitting_scores(payload, faces, subset, size, versions, seed)
    if len(raw) < 2:
        raise BuildError(f"only {len(raw)} image(s) of {subset!r} could be scored; a calibration needs more")
    described = (f"split list {subset!r}, {size} px, clean + {versions} TF and {versions} Pillow copies per face "
                 f"(seed {seed}), {len(raw)} images")
    calibration = fit(raw, truth, described)
    mapped = [calibration(score) for score in raw]
    figures = {"images": len(raw), "no_face": skipped,
               "mae_raw": float(np.mean(np.abs(np.subtract(raw, truth)))),
               "mae_calibrated": float(np.mean(np.abs(np.subtract(mapped, truth))))}
    checkpoint.save(out, {**payload, "calibration": {**calibration.as_dict(), "figures": figures}})
    return calibration, figures


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m iqabench_effres.calibrate",
                                description="Fit an effres checkpoint's calibration on held-out faces and write "
                                            "the checkpoint with it (see the module docstring).")
    p.add_argument("--checkpoint", type=Path, required=True, help="the effres checkpoint to calibrate")
    p.add_argument("--faces", type=Path, required=True, help="folder the split's face paths are relative to")
    p.add_argument("--subset", default="sharp-val", help="list of the split file (default: sharp-val)")
    p.add_argument("--size", type=int, default=256, help="resize each face to N×N first (default 256)")
    p.add_argument("--versions", type=int, default=VERSIONS, help=f"copies per face and resampler ({VERSIONS})")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, required=True, help="the calibrated checkpoint to write")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.out.resolve() == args.checkpoint.resolve():
        print("error: --out must differ from --checkpoint (the checkpoint is kept as it is)", file=sys.stderr)
        return 2
    try:
        calibration, figures = calibrate(args.checkpoint, args.out, args.faces, args.subset, args.size,
                                         args.versions, args.seed)
    except (BuildError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"fitted on {figures['images']} images ({figures['no_face']} without a face left out): "
          f"mean absolute error {figures['mae_raw']:.3f} raw, {figures['mae_calibrated']:.3f} calibrated")
    print("knots (raw -> calibrated): " + ", ".join(
        f"{r:.3f}->{c:.3f}" for r, c in zip(calibration.raw, calibration.calibrated)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
