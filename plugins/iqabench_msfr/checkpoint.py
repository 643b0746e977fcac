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

from pathlib import Path

from iqabench_training.checkpoints import CheckpointKind, manifest_path, pinned_sha256, without_local_paths

KIND = CheckpointKind("msfr", "iqabench-msfr/1")
FORMAT = KIND.format
#: the checkpoint this package ships, and its manifest (sha256, command, data, device, time, figures).
SHIPPED = Path(__file__).parent / "checkpoints" / "msfr-full.pt"
#: matrices with more values than this are shipped as int8 rows with a scale each.
QUANTISE_ABOVE = 1_000_000
INT8, SCALE = ".int8", ".int8_scale"
save, load = KIND.save, KIND.load


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
    compact = {key: payload[key] for key in ("config", "history", "progress") if key in payload}
    compact["data"] = without_local_paths(payload["data"])
    compact["model"] = compact_state(payload["model"])
    return KIND.write_shipped(target, compact, manifest)


__all__ = ["FORMAT", "KIND", "SHIPPED", "build", "compact_state", "load", "manifest_path", "model_state", "pinned_sha256",
           "save", "ship"]
