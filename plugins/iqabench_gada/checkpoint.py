"""GADA checkpoint files: what a training run saves and resumes from, what the metric loads.

A checkpoint is one ``torch.save`` dict of plain values and tensors (``torch.load(weights_only=True)``
reads it): ``format``; ``config`` (settings, distortion classes, model sizes, whether it has a generator);
``discriminator`` and ``generator`` (state dicts; no generator in the direct baseline); ``optimizer`` and
``progress`` (for resuming; absent in a shipped file); ``data`` (what each phase trained on: label files,
every image's path and sha256) and ``history`` (the figures each phase reached).

:func:`ship` writes the compact copy the package carries: float16 weights, no optimizer state. Only the
discriminator's trunk and evaluator are needed to score (§4.2); ``inference_only=True`` keeps just those.
"""

from __future__ import annotations

from pathlib import Path

from iqabench_training.checkpoints import (CheckpointKind, half_precision, manifest_path, pinned_sha256,
                                          without_local_paths)

KIND = CheckpointKind("gada", "iqabench-gada/1")
FORMAT = KIND.format
FOLDER = Path(__file__).parent / "checkpoints"
#: the checkpoints this package ships (GADA, and the direct baseline of §4.3), each with its manifest.
SHIPPED = FOLDER / "gada-w025-c64.pt"
SHIPPED_DIRECT = FOLDER / "gada-direct-w025-c64.pt"
save, load = KIND.save, KIND.load


def ship(source: Path, target: Path, manifest: dict, inference_only: bool = False) -> dict:
    """Write the compact copy of a trained checkpoint (float16 weights, config, data without the training
    machine's folders, history; the generator and the source and classifier heads too unless
    ``inference_only``) and a manifest beside it holding its sha256 and ``manifest``'s fields (command,
    data, device, time, figures)."""
    from .model import inference_state

    payload = load(source)
    compact = {key: payload[key] for key in ("config", "history") if key in payload}
    compact["data"] = without_local_paths(payload.get("data", {}))
    discriminator = payload["discriminator"]
    compact["discriminator"] = half_precision(inference_state(discriminator) if inference_only else discriminator)
    if "generator" in payload and not inference_only:
        compact["generator"] = half_precision(payload["generator"])
    compact["config"] = {**compact["config"], "inference_only": inference_only}
    return KIND.write_shipped(target, compact, manifest)


__all__ = ["FORMAT", "KIND", "SHIPPED", "SHIPPED_DIRECT", "load", "manifest_path", "pinned_sha256", "save", "ship"]
