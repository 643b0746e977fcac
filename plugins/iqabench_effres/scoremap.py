"""Where a face is soft: the per-patch effective resolutions drawn over the image.

    python -m iqabench_effres.scoremap FACE.png [--out FACE.effres.png] [--mask mediapipe|bisenet|none]

prints the score and writes a PNG beside the image: the face on the left, and on the right each pixel
coloured by the mean score of the scored patches covering it (red 0 → yellow 0.5 → green 1), grey where
no scored patch reaches (background, or patches under the foreground threshold).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from .inference import FaceScore


def colour(scores: np.ndarray) -> np.ndarray:
    """Red (0) → yellow (0.5) → green (1), uint8 RGB."""
    s = np.clip(scores, 0.0, 1.0)[..., None]
    red, yellow, green = np.array([220, 40, 40]), np.array([235, 210, 50]), np.array([40, 180, 60])
    low = red + (yellow - red) * (s / 0.5)
    high = yellow + (green - yellow) * ((s - 0.5) / 0.5)
    return np.where(s < 0.5, low, high).astype(np.uint8)


def render(image: np.ndarray, result: FaceScore, size: int) -> Image.Image:
    """The face and its score map side by side."""
    height, width = image.shape[:2]
    total = np.zeros((height, width))
    count = np.zeros((height, width))
    for (y, x), score in zip(result.corners, result.patch_scores):
        total[y:y + size, x:x + size] += score
        count[y:y + size, x:x + size] += 1
    covered = count > 0
    heat = np.full((height, width, 3), 128, np.uint8)
    heat[covered] = colour(total[covered] / count[covered])
    blend = (0.45 * image + 0.55 * heat).astype(np.uint8)
    blend[~covered] = (0.3 * image[~covered] + 0.7 * 128).astype(np.uint8)
    return Image.fromarray(np.concatenate([image, blend], axis=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m iqabench_effres.scoremap", description=__doc__.splitlines()[0])
    parser.add_argument("image", type=Path)
    parser.add_argument("--out", type=Path, help="default: <image>.effres.png beside the image")
    parser.add_argument("--mask", default="mediapipe", choices=["mediapipe", "bisenet", "none"])
    args = parser.parse_args(argv)
    import torch

    from iqabench.images import load_image

    from .metric import METRICS

    metric = next(cls for cls in METRICS if cls.mask_name == args.mask)()
    metric.load(torch.device("cuda" if torch.cuda.is_available() else "cpu"))
    pixels = np.ascontiguousarray((load_image(args.image) * 255).round().byte().permute(1, 2, 0).numpy())
    result = metric.face_score(pixels)
    out = args.out or args.image.with_name(args.image.stem + ".effres.png")
    render(pixels, result, metric.patch).save(out)
    coarse = "; coarse, read again at scale " + ", ".join(f"{scale:.2f}: {reading:.4f}" for scale, reading in
                                                          result.readings) if result.readings else ""
    bound = f"; at most {result.bound:.4f}: rows or columns of the face are replicated" if result.bound < 1 else ""
    print(f"{args.image}: effres {result.score:.4f} from {len(result.patch_scores)} patches "
          f"(foreground ≥ {result.threshold:.0%}{coarse}{bound}); map: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
