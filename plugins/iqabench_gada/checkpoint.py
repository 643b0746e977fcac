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

import json
from pathlib import Path

from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256

FORMAT = "iqabench-gada/1"
FOLDER = Path(__file__).parent / "checkpoints"
#: the checkpoints this package ships (GADA, and the direct baseline of §4.3), each with its manifest.
SHIPPED = FOLDER / "gada-w025-c64.pt"
SHIPPED_DIRECT = FOLDER / "gada-direct-w025-c64.pt"


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
        raise WeightsError(f"GADA checkpoint {str(path)!r} does not exist. Train one with `iqabench train gada`, "
                           f"or reinstall iqabench to get the shipped one.")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise WeightsError(f"GADA checkpoint {str(path)!r} does not match the sha256 its manifest pins "
                           f"({expected_sha256}); it was changed or damaged. Reinstall iqabench or retrain.")
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(f"{str(path)!r} is not a GADA checkpoint (format {FORMAT!r} expected).")
    return payload


def _half(state: dict) -> dict:
    return {name: value.half() if value.is_floating_point() else value for name, value in state.items()}


def ship(source: Path, target: Path, manifest: dict, inference_only: bool = False) -> dict:
    """Write the compact copy of a trained checkpoint (float16 weights, config, data, history; the generator
    and the source and classifier heads too unless ``inference_only``) and a manifest beside it holding its
    sha256 and ``manifest``'s fields (command, data, device, time, figures)."""
    from .model import inference_state

    payload = load(source)
    compact = {key: payload[key] for key in ("config", "data", "history") if key in payload}
    discriminator = payload["discriminator"]
    compact["discriminator"] = _half(inference_state(discriminator) if inference_only else discriminator)
    if "generator" in payload and not inference_only:
        compact["generator"] = _half(payload["generator"])
    compact["config"] = {**compact["config"], "inference_only": inference_only}
    save(target, compact)
    written = {"file": target.name, "sha256": file_sha256(target), "bytes": target.stat().st_size, **manifest}
    manifest_path(target).write_text(json.dumps(written, indent=2) + "\n")
    return written


def pinned_sha256(checkpoint: Path) -> str | None:
    """The sha256 the manifest beside ``checkpoint`` pins, or None without a manifest."""
    manifest = manifest_path(checkpoint)
    return json.loads(manifest.read_text())["sha256"] if manifest.is_file() else None


__all__ = ["FORMAT", "SHIPPED", "SHIPPED_DIRECT", "load", "manifest_path", "pinned_sha256", "save", "ship"]
