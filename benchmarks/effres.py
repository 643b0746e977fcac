"""effres throughput: images per second at about 100 patches per image on real 1024-pixel
faces from ``../shared``, the face mask included, beside NIQE (pyiqa) on the same images in the same run.
Skipped, with the reason, when ``../shared`` or the shipped checkpoint is absent."""

from __future__ import annotations

import sys
import time
from pathlib import Path

SHARED_FACES = Path(__file__).resolve().parents[2] / "shared" / "data" / "faces" / "hq" / "celebahq"


def _per_image(metric, tensors, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for tensor in tensors:
            metric.score_batch([tensor])
        best = min(best, (time.perf_counter() - started) / len(tensors))
    return best


def rows(Row, quick: bool) -> list:
    import torch

    from iqabench.images import load_image
    from iqabench.plugins import load_registry

    registry = load_registry()
    effres = registry.metric("effres")
    available = effres.availability()
    if not SHARED_FACES.is_dir() or not available.ok:
        why = "../shared is absent" if not SHARED_FACES.is_dir() else available.reason
        print(f"  ... effres skipped: {why}", file=sys.stderr)
        return []
    count, repeat = (2, 1) if quick else (8, 2)
    tensors = [load_image(path) for path in sorted(SHARED_FACES.glob("*.jpg"))[:count]]
    device = torch.device("cpu")
    effres.load(device)
    effres.score_batch(tensors[:1])  # models loaded, caches warm
    ours = _per_image(effres, tensors, repeat)
    from iqabench_effres.masks import masker as face_masker

    masker = face_masker(effres.mask_name)
    pixels = [(t * 255).round().byte().permute(1, 2, 0).numpy() for t in tensors]
    started = time.perf_counter()
    for image in pixels:
        masker.mask(image)
    mask_share = (time.perf_counter() - started) / len(pixels) / ours
    niqe = registry.metric("niqe")
    baseline, baseline_name = None, "niqe (pyiqa) on the same images"
    if niqe.availability().ok:
        niqe.load(device)
        niqe.score_batch(tensors[:1])
        baseline = _per_image(niqe, tensors, repeat)
    else:
        baseline_name = f"niqe unavailable: {niqe.availability().reason}"
    return [Row(f"effres per image, {count} CelebA-HQ faces 1024x1024, ~100 patches of 128, mediapipe mask, "
                f"CPU {torch.get_num_threads()} threads", ours, baseline, baseline_name, "info", None, "",
                f"{1 / ours:.2f} images/s; the face mask is {mask_share:.0%} of it")]
