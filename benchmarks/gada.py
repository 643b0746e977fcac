"""GADA throughput: images per second of ``gada`` scoring (30 crops through the evaluator, §4.2)
on LIVE Challenge images from ``../shared``, beside the paper's figure of about 120 images per second (§5,
"the very shallow network ... can process images with an high frame rate (about 120 image per second)"; a
GPU, not named). The ratio is the paper's time per image over ours: below 1 means slower than the paper.
Skipped, with the reason, when ``../shared`` or the shipped checkpoint is absent.

    python -m benchmarks --only gada
    python -m benchmarks.gada          # this table alone, without the report's other imports
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

SHARED_CLIVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "clive" / "Images"
PAPER_IMAGES_PER_SECOND = 120.0


def _per_image(function, items, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for item in items:
            function(item)
        best = min(best, (time.perf_counter() - started) / len(items))
    return best


def rows(Row, quick: bool) -> list:
    import torch

    from iqabench.images import load_image
    from iqabench.plugins import load_registry

    gada = load_registry().metric("gada")
    available = gada.availability()
    if not SHARED_CLIVE.is_dir() or not available.ok:
        why = "../shared is absent" if not SHARED_CLIVE.is_dir() else available.reason
        print(f"  ... gada skipped: {why}", file=sys.stderr)
        return []
    count, repeat = (4, 1) if quick else (40, 3)
    paths = sorted(p for p in SHARED_CLIVE.iterdir() if p.suffix.lower() in (".jpg", ".bmp"))[:count]
    tensors = [load_image(path) for path in paths]
    gada.load(torch.device("cpu"))
    gada.score_batch(tensors[:1])  # warm
    scoring = _per_image(lambda tensor: gada.score_batch([tensor]), tensors, repeat)
    end_to_end = _per_image(lambda path: gada.score_batch([load_image(path)]), paths, repeat)
    # the paper's own sizes (64, 128, 128, 1024 maps; 30 crops of 128), untrained weights: the same work per image
    from iqabench_gada.metric import CROPS, SEED
    from iqabench_gada.model import Evaluator
    from iqabench_gada.train import crop_scores

    paper_size = Evaluator(1.0).eval()
    pixels = [(t * 255).round().byte().permute(1, 2, 0).numpy() for t in tensors]
    crop_scores(paper_size, pixels[0], 128, CROPS, SEED)
    paper_sized = _per_image(lambda image: crop_scores(paper_size, image, 128, CROPS, SEED), pixels,
                             1 if quick else 2)
    paper = 1.0 / PAPER_IMAGES_PER_SECOND
    size = "x".join(str(n) for n in tuple(tensors[0].shape[1:]))
    where = f"CPU, {torch.get_num_threads()} torch threads"
    name = "the paper's 120 images/s (GPU, §5)"
    return [
        Row(f"gada scoring per image, {count} CLIVE images ({size} and alike), 30 crops of {gada.crop}, {where}",
            scoring, paper, name, "info", None, "", f"{1 / scoring:.1f} images/s; ratio = our speed / the paper's"),
        Row(f"gada decode + score per image, the same images, {where}", end_to_end, paper, name, "info", None, "",
            f"{1 / end_to_end:.1f} images/s"),
        Row(f"the paper's network size (maps 64/128/128/1024, 30 crops of 128; untrained weights), scoring, {where}",
            paper_sized, paper, name, "info", None, "", f"{1 / paper_sized:.1f} images/s"),
    ]


def main() -> None:
    from dataclasses import dataclass

    @dataclass
    class Row:
        case: str
        ours: float | None
        baseline: float | None
        baseline_name: str
        target: str
        met: bool | None
        check: str
        note: str = ""

    for row in rows(Row, "--quick" in sys.argv):
        ratio = row.baseline / row.ours
        print(f"{row.case}: {row.ours * 1000:.1f} ms ({row.note}); {row.baseline_name}: "
              f"{row.baseline * 1000:.2f} ms; ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
