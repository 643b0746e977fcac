"""effres checkpoint files: what a training run saves and resumes from, what the metric loads.

A checkpoint is one ``torch.save`` dict of plain values and tensors (``torch.load(weights_only=True)``
reads it): ``format``, ``config`` (model, recipe and training settings), ``model`` (the state dict),
``optimizer`` and ``progress`` (for resuming; absent in a shipped file), ``data`` (the training images:
relative path and sha256) and ``history`` (the figures each epoch reached). :func:`ship` writes the
compact copy that the package carries (float16 weights, no optimizer) and its manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256

FORMAT = "iqabench-effres/1"
#: the checkpoint this package ships, and its manifest (sha256, command, data, device, time, figures).
SHIPPED = Path(__file__).parent / "checkpoints" / "effres-resnet18-p128.pt"


def manifest_path(checkpoint: Path) -> Path:
    return checkpoint.with_suffix(".json")


def save(path: Path, payload: dict) -> None:
    """Write atomically: a run interrupted while saving keeps the previous checkpoint."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    torch.save({"format": FORMAT, **payload}, partial)
    partial.replace(path)


def load(path: Path, expected_sha256: str | None = None) -> dict:
    """Read a checkpoint; with ``expected_sha256`` the file's hash is checked before it is deserialised."""
    if not path.is_file():
        raise WeightsError(f"effres checkpoint {str(path)!r} does not exist. Train one with "
                           f"`iqabench train effres`, or reinstall iqabench to get the shipped one.")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise WeightsError(f"effres checkpoint {str(path)!r} does not match the sha256 its manifest pins "
                           f"({expected_sha256}); it was changed or damaged. Reinstall iqabench or retrain.")
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(f"{str(path)!r} is not an effres checkpoint (format {FORMAT!r} expected).")
    return payload


def ship(source: Path, target: Path, manifest: dict) -> dict:
    """Write the compact copy of a trained checkpoint (float16 weights, config, data list, history) and a
    manifest beside it holding its sha256 and ``manifest``'s fields (command, device, time, figures)."""
    payload = load(source)
    compact = {key: payload[key] for key in ("config", "data", "history") if key in payload}
    compact["model"] = {name: value.half() if value.is_floating_point() else value
                        for name, value in payload["model"].items()}
    save(target, compact)
    written = {"file": target.name, "sha256": file_sha256(target), "bytes": target.stat().st_size, **manifest}
    manifest_path(target).write_text(json.dumps(written, indent=2) + "\n")
    return written


def pinned_sha256(checkpoint: Path) -> str | None:
    """The sha256 the manifest beside ``checkpoint`` pins, or None without a manifest."""
    manifest = manifest_path(checkpoint)
    return json.loads(manifest.read_text())["sha256"] if manifest.is_file() else None


__all__ = ["FORMAT", "SHIPPED", "load", "manifest_path", "pinned_sha256", "save", "ship"]
