"""msfr throughput: images per second of the ``msfr`` metric scoring distorted images against
their references on this CPU, at two sizes: 512×384 (TID2013's, 12 patches of 128 on the inference grid)
and 1024×768 (48 patches). The pairs are scikit-image photographs degraded with iqabench.degrade (no
``../shared`` needed). Beside it, pyiqa's SSIM on the same pairs in the same run when pyiqa is installed.
Skipped, with the reason, when the shipped checkpoint is unavailable.

Measured on the shared 2-core machine (torch 2 threads, load average about 4 from other jobs), shipped
checkpoint: 5.4 to 7.7 images/s at 512×384 (130 to 185 ms each) and 1.5 to 1.8 images/s at 1024×768,
two runs; pyiqa's SSIM took 1.4 s and 4 to 6 s per image in the same runs."""

from __future__ import annotations

import sys
import time

SIZES = ((512, 384), (1024, 768))


def _pairs(width: int, height: int, count: int):
    import numpy as np
    import skimage.data
    import torch
    from PIL import Image

    from iqabench.degrade import degrade

    def tensor(pixels):
        return torch.from_numpy(np.array(pixels)).permute(2, 0, 1).float() / 255

    pairs = []
    for index, (source, kind) in enumerate(zip(("astronaut", "coffee", "chelsea", "rocket"), ("jpeg", "blur", "noise", "jpeg"))):
        if index == count:
            break
        picture = Image.fromarray(getattr(skimage.data, source)()).convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
        reference = np.asarray(picture)
        pairs.append((tensor(degrade(reference, kind, 2, seed=index)), tensor(reference)))
    return pairs


def _per_image(metric, pairs, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for image, ref in pairs:
            metric.score_batch([image], [ref])
        best = min(best, (time.perf_counter() - started) / len(pairs))
    return best


def rows(Row, quick: bool) -> list:
    import torch

    from iqabench.plugins import load_registry

    registry = load_registry()
    msfr = registry.metric("msfr")
    available = msfr.availability()
    if not available.ok:
        print(f"  ... msfr skipped: {available.reason}", file=sys.stderr)
        return []
    device = torch.device("cpu")
    msfr.load(device)
    ssim = registry.metrics.get("pyiqa:ssim")
    ssim_ok = ssim is not None and ssim.availability().ok
    if ssim_ok:
        ssim.load(device)
    count, repeat = (2, 1) if quick else (4, 2)
    made = []
    for width, height in SIZES[:1] if quick else SIZES:
        pairs = _pairs(width, height, count)
        msfr.score_batch([pairs[0][0]], [pairs[0][1]])  # warm
        ours = _per_image(msfr, pairs, repeat)
        baseline, baseline_name = None, "pyiqa:ssim unavailable (pip install iqabench[pyiqa])"
        if ssim_ok:
            ssim.score_batch([pairs[0][0]], [pairs[0][1]])
            baseline, baseline_name = _per_image(ssim, pairs, repeat), "pyiqa:ssim on the same pairs"
        patches = ((height + 127) // 128) * ((width + 127) // 128)
        made.append(Row(f"msfr per image, {count} pairs {width}x{height} ({patches} patches of 128), "
                        f"CPU {torch.get_num_threads()} threads", ours, baseline, baseline_name, "info", None, "",
                        f"{1 / ours:.2f} images/s"))
    return made
