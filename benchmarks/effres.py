"""effres throughput: images per second on real CelebA-HQ faces from ``../shared`` at 1024 pixels,
downscaled to 512 (the size of the ci faces; target: at least 2 images/s on the CPU), and at 512 shrunk to
a tenth of their resolution and enlarged back (faces that coarse are read again at smaller scales), the
face mask included, beside NIQE (pyiqa) on the same images in the same run.
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
    faces = [load_image(path) for path in sorted(SHARED_FACES.glob("*.jpg"))[:count]]
    device = torch.device("cpu")
    effres.load(device)
    niqe = registry.metric("niqe")
    if niqe.availability().ok:
        niqe.load(device)
    threads = torch.get_num_threads()
    found = []
    for side, coarse, target in ((1024, None, "info"), (512, None, "< 0.5 s"), (512, 0.1, "< 0.5 s")):
        tensors = faces if side == 1024 else [_resized(face, side) for face in faces]
        kind = "CelebA-HQ faces"
        if coarse:
            tensors = [_coarse(tensor, coarse) for tensor in tensors]
            kind += f" at effective resolution {coarse} (bicubic; read again at smaller scales)"
        ours, mask_share, patches = _effres_per_image(effres, tensors, repeat)
        baseline, baseline_name = None, f"niqe unavailable: {niqe.availability().reason}"
        if niqe.availability().ok:
            niqe.score_batch(tensors[:1])
            baseline, baseline_name = _per_image(niqe, tensors, repeat), "niqe (pyiqa) on the same images"
        note = f"{1 / ours:.2f} images/s (niqe: {1 / baseline:.2f})" if baseline else f"{1 / ours:.2f} images/s"
        found.append(Row(f"effres per image, {count} {kind} {side}x{side}, {patches:.0f} patches of 128 "
                         f"on average, mediapipe mask, CPU {threads} threads", ours, baseline, baseline_name, target,
                         None, "", f"{note}; the face mask is {mask_share:.0%} of it"))
    return found


def _resized(face, side: int):
    """A face tensor (3, H, W) on 0-1 resized to side x side with Pillow's LANCZOS, as the ci faces are."""
    import numpy as np
    import torch
    from PIL import Image

    pixels = Image.fromarray((face * 255).round().byte().permute(1, 2, 0).numpy())
    small = np.asarray(pixels.resize((side, side), Image.Resampling.LANCZOS))
    return torch.from_numpy(small.copy()).permute(2, 0, 1).float() / 255


def _coarse(face, factor: float):
    """A face tensor (3, H, W) on 0-1 shrunk by ``factor`` and enlarged back (bicubic, this project's kernels)."""
    import torch

    from iqabench.degrade import downscale_upscale

    pixels = downscale_upscale((face * 255).round().byte().permute(1, 2, 0).numpy(), factor, "bicubic")
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255


def _effres_per_image(effres, tensors, repeat: int) -> tuple[float, float, float]:
    """Seconds per image of effres, the share of it the face mask takes, and the patches scored per image."""
    from iqabench_effres.masks import masker as face_masker

    effres.score_batch(tensors[:1])  # models loaded, caches warm
    ours = _per_image(effres, tensors, repeat)
    masker = face_masker(effres.mask_name)
    pixels = [(t * 255).round().byte().permute(1, 2, 0).numpy() for t in tensors]
    started = time.perf_counter()
    for image in pixels:
        masker.mask(image)
    mask_share = (time.perf_counter() - started) / len(pixels) / ours
    patches = sum(len(effres.face_score(image).patch_scores) for image in pixels) / len(pixels)
    return ours, mask_share, patches
