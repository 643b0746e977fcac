"""effres checkpoint files: what a training run saves and resumes from, what the metric loads.

Beyond ``format`` (:mod:`iqabench_training.checkpoints`), a checkpoint holds ``config`` (model, recipe and
training settings), ``model`` (the state dict), ``optimizer`` and ``progress`` (for resuming; absent in a shipped
file), ``data`` (the training images: relative path and sha256), ``history`` (the figures each epoch
reached) and, once fitted, ``calibration`` (:mod:`.calibration`). :func:`ship` writes the compact copy that
the package carries (float16 weights, no optimizer) and its manifest.
"""

from __future__ import annotations

from pathlib import Path

from iqabench_training.checkpoints import CheckpointKind, half_precision, manifest_path, pinned_sha256

KIND = CheckpointKind("effres", "iqabench-effres/1")
FORMAT = KIND.format
#: the checkpoint this package ships, and its manifest (sha256, command, data, device, time, figures).
SHIPPED = Path(__file__).parent / "checkpoints" / "effres-resnet18-p128.pt"
save, load = KIND.save, KIND.load


def ship(source: Path, target: Path, manifest: dict) -> dict:
    """Write the compact copy of a trained checkpoint (float16 weights, config, data list, history and
    calibration) and a manifest beside it holding its sha256 and ``manifest``'s fields (command, device, time, figures)."""
    payload = load(source)
    compact = {key: payload[key] for key in ("config", "data", "history", "calibration")
               if key in payload}
    compact["model"] = half_precision(payload["model"])
    return KIND.write_shipped(target, compact, manifest)


__all__ = ["FORMAT", "KIND", "SHIPPED", "load", "manifest_path", "pinned_sha256", "save", "ship"]
