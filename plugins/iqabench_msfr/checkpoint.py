"""msfr checkpoint files: what a training run saves and resumes from, what the metric loads.

A checkpoint is one ``torch.save`` dict of plain values and tensors (``torch.load(weights_only=True)``
reads it): ``format``, ``config`` (the training settings, variant included), ``model`` (the state dict),
``optimizer`` (for resuming; absent in a shipped file), ``progress`` (epoch, step, time), ``data`` (the data manifest:
label file and image sha256s, the split) and ``history`` (the figures each epoch reached).

:func:`ship` writes the compact copy the package carries: weights in float16, except the matrices of
more than a million values (the first two fully connected layers: 5,952 × 2,048 and 2,048 × 1,024 in the
full network), which are stored as int8 with one float32 scale per row (symmetric, ``scale = max |row| / 127``): in float16
the full network alone is 29 MB, over the 25 MiB a repository file may take. :func:`model_state` turns
either form back into float32 tensors; ``ship`` records how far the compact copy's scores move.
"""

from __future__ import annotations

import json
from pathlib import Path

from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256

FORMAT = "iqabench-msfr/1"
#: the checkpoint this package ships, and its manifest (sha256, command, data, device, time, figures).
SHIPPED = Path(__file__).parent / "checkpoints" / "msfr-full.pt"
#: matrices with more values than this are shipped as int8 rows with a scale each.
QUANTISE_ABOVE = 1_000_000
INT8, SCALE = ".int8", ".int8_scale"


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
        raise WeightsError(f"msfr checkpoint {str(path)!r} does not exist. Train one with "
                           f"`iqabench train msfr`, or reinstall iqabench to get the shipped one.")
    if expected_sha256 is not None and file_sha256(path) != expected_sha256:
        raise WeightsError(f"msfr checkpoint {str(path)!r} does not match the sha256 its manifest pins "
                           f"({expected_sha256}); it was changed or damaged. Reinstall iqabench or retrain.")
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise WeightsError(f"{str(path)!r} is not an msfr checkpoint (format {FORMAT!r} expected).")
    return payload


def compact_state(state: dict) -> dict:
    """float16 tensors, and int8 rows with a float32 scale each for the matrices over :data:`QUANTISE_ABOVE`."""
    import torch

    compact = {}
    for name, value in state.items():
        if value.is_floating_point() and value.dim() == 2 and value.numel() > QUANTISE_ABOVE:
            scale = value.float().abs().amax(dim=1, keepdim=True).clamp_min(1e-12) / 127.0
            compact[name + INT8] = torch.round(value.float() / scale).clamp(-127, 127).to(torch.int8)
            compact[name + SCALE] = scale
        else:
            compact[name] = value.half() if value.is_floating_point() else value
    return compact


def model_state(stored: dict) -> dict:
    """float32 state dict from a full or a compact ``model`` entry."""
    state = {}
    for name, value in stored.items():
        if name.endswith(SCALE):
            continue
        if name.endswith(INT8):
            base = name[:-len(INT8)]
            state[base] = value.float() * stored[base + SCALE]
        else:
            state[name] = value.float() if value.is_floating_point() else value
    return state


def build(payload: dict):
    """The network a checkpoint holds, in eval mode, on the CPU."""
    from .model import MSFRNet

    model = MSFRNet(payload["config"]["settings"]["variant"])
    model.load_state_dict(model_state(payload["model"]))
    return model.eval()


def ship(source: Path, target: Path, manifest: dict) -> dict:
    """Write the compact copy of a trained checkpoint (config, data manifest, history) and a manifest
    beside it holding its sha256 and ``manifest``'s fields (command, data, device, time, figures)."""
    payload = load(source)
    compact = {key: payload[key] for key in ("config", "data", "history", "progress") if key in payload}
    compact["model"] = compact_state(payload["model"])
    save(target, compact)
    written = {"file": target.name, "sha256": file_sha256(target), "bytes": target.stat().st_size, **manifest}
    manifest_path(target).write_text(json.dumps(written, indent=2) + "\n")
    return written


def pinned_sha256(checkpoint: Path) -> str | None:
    """The sha256 the manifest beside ``checkpoint`` pins, or None without a manifest."""
    manifest = manifest_path(checkpoint)
    return json.loads(manifest.read_text())["sha256"] if manifest.is_file() else None


__all__ = ["FORMAT", "SHIPPED", "build", "compact_state", "load", "manifest_path", "model_state", "pinned_sha256",
           "save", "ship"]
