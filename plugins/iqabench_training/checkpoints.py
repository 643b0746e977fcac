"""Checkpoint files of the models this project trains: saved atomically, loaded against a pinned sha256,
shipped with a manifest, and the clock that says when a training loop saves.

A checkpoint is one ``torch.save`` dict of plain values and tensors (``torch.load(weights_only=True)`` reads
it) whose ``format`` names the model (:class:`CheckpointKind`). A shipped checkpoint has a manifest beside it
(``<name>.json``: its sha256, the command that trained it, the data, the device, the time and the figures it
reached); the metric loads the file only when its hash matches the manifest's. The shipped manifests write
each command as an argument list, with data paths under the named folders of their ``roots`` (``{shared}/...``),
and list every training run in ``stages``: what it resumed or started from, how it ended, its figures.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256
from iqabench.metric import Availability


def manifest_path(checkpoint: Path) -> Path:
    """The manifest beside a checkpoint.

    Parameters
    ----------
    checkpoint : Path
        A checkpoint file, ``<name>.pt``.

    Returns
    -------
    Path
        ``<name>.json`` in the same folder.
    """
    return checkpoint.with_suffix(".json")


def pinned_sha256(checkpoint: Path) -> str | None:
    """The sha256 that the manifest beside a checkpoint pins.

    Parameters
    ----------
    checkpoint : Path
        A checkpoint file.

    Returns
    -------
    str or None
        The manifest's ``sha256``; None when there is no manifest (a user's own checkpoint).
    """
    manifest = manifest_path(checkpoint)
    return json.loads(manifest.read_text())["sha256"] if manifest.is_file() else None


def without_local_paths(data):
    """A data manifest as a shipped checkpoint keeps it: every absolute path (a training folder, a label
    file) by its name only, so that the file does not carry the training machine's folders; relative
    paths, hashes and figures as they were."""
    if isinstance(data, dict):
        return {key: without_local_paths(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(without_local_paths(value) for value in data)
    if isinstance(data, str) and data and (data.startswith("/") or Path(data).is_absolute()):
        return Path(data).name
    return data


def half_precision(state: dict) -> dict:
    """A state dict with its floating-point tensors in float16, as a shipped checkpoint stores them.

    Parameters
    ----------
    state : dict
        Tensor name -> tensor.

    Returns
    -------
    dict
        The same names; floating-point tensors in float16, the others as they were.
    """
    return {name: value.half() if value.is_floating_point() else value for name, value in state.items()}


@dataclass(frozen=True)
class CheckpointKind:
    """The checkpoint files of one model: ``model`` names it in messages and in ``iqabench train <model>``;
    ``format`` is the tag every file of this kind carries."""

    model: str
    format: str

    def save(self, path: Path, payload: dict) -> None:
        """Write a checkpoint atomically: a run interrupted while saving keeps the previous one.

        Parameters
        ----------
        path : Path
            The file to write; its folder is made when missing.
        payload : dict
            Plain values and tensors; the file holds them and ``format``.
        """
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".partial")
        torch.save({"format": self.format, **payload}, partial)
        partial.replace(path)

    def load(self, path: Path, expected_sha256: str | None = None, *, mmap: bool = False) -> dict:
        """Read a checkpoint of this kind.

        Parameters
        ----------
        path : Path
            The checkpoint file.
        expected_sha256 : str, optional
            When given, the file's hash is checked before it is deserialised.
        mmap : bool
            Map the tensors instead of reading them (what is never used, such as an optimizer's state,
            then stays on disk).

        Returns
        -------
        dict
            The payload, ``format`` included.

        Raises
        ------
        iqabench.errors.WeightsError
            When the file is missing, has another sha256, cannot be read, or is of another kind.
        """
        if not path.is_file():
            raise WeightsError(f"{self.model} checkpoint {str(path)!r} does not exist. Train one with "
                               f"`iqabench train {self.model}`, or reinstall iqabench to get the shipped one.")
        if expected_sha256 is not None and file_sha256(path) != expected_sha256:
            raise WeightsError(f"{self.model} checkpoint {str(path)!r} does not match the sha256 its manifest "
                               f"pins ({expected_sha256}); it was changed or damaged. Reinstall iqabench or retrain.")
        import torch

        try:
            payload = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except Exception as exc:  # truncated, not a torch file, or holding more than tensors and plain values
            raise WeightsError(f"{str(path)!r} could not be read as a {self.model} checkpoint "
                               f"({type(exc).__name__}: {exc}); retrain, or reinstall iqabench.") from exc
        if not isinstance(payload, dict) or payload.get("format") != self.format:
            raise WeightsError(f"{str(path)!r} is not a {self.model} checkpoint (format {self.format!r} expected).")
        return payload

    def load_pinned(self, path: Path) -> dict:
        """Read a checkpoint, checked against the sha256 its manifest pins when it has one.

        Parameters
        ----------
        path : Path
            The checkpoint file.

        Returns
        -------
        dict
            The payload, as :meth:`load` returns it.
        """
        return self.load(path, pinned_sha256(path))

    def write_shipped(self, target: Path, compact: dict, manifest: dict) -> dict:
        """Save the payload a package carries, and its manifest beside it.

        Parameters
        ----------
        target : Path
            The checkpoint file to write.
        compact : dict
            The payload (float16 weights, no optimizer state).
        manifest : dict
            The manifest's other fields: command, data, device, time, figures.

        Returns
        -------
        dict
            The manifest written: the file's name, sha256 and size, then ``manifest``'s fields.
        """
        self.save(target, compact)
        written = {"file": target.name, "sha256": file_sha256(target), "bytes": target.stat().st_size, **manifest}
        manifest_path(target).write_text(json.dumps(written, indent=2) + "\n")
        return written

    def availability(self, path: Path) -> Availability:
        """Whether a metric can load the checkpoint at ``path``; never downloads.

        Parameters
        ----------
        path : Path
            The checkpoint file the metric would load.

        Returns
        -------
        Availability
            Present when the file is there with the sha256 its manifest pins (a shipped one is), or without
            a manifest (a user's own); unavailable otherwise, saying how to get one.
        """
        if not path.is_file():
            return Availability.unavailable(f"no {self.model} checkpoint at {path}: train one with "
                                            f"`iqabench train {self.model}`")
        pinned = pinned_sha256(path)
        if pinned is not None and file_sha256(path) != pinned:
            return Availability.unavailable(f"{self.model} checkpoint {path} does not have the sha256 its manifest "
                                            f"pins ({pinned}); reinstall iqabench or retrain")
        return Availability.present(f"{path} ({'sha256 pinned' if pinned else 'no manifest pins its sha256'})")


class SaveClock:
    """When a training loop writes its checkpoint: at the end of an epoch (or phase), every ``save_minutes``,
    and when the ``minutes`` it was given run out (then it stops)."""

    def __init__(self, minutes: float | None, save_minutes: float) -> None:
        self.minutes = minutes
        self.save_minutes = save_minutes
        self.started = self.last_save = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.monotonic() - self.started

    def out_of_time(self) -> bool:
        """Whether the ``minutes`` given (if any) have passed."""
        return self.minutes is not None and self.elapsed() > self.minutes * 60

    def due(self, boundary: bool, out_of_time: bool) -> bool:
        """Whether to save now; a true answer starts the next interval.

        Parameters
        ----------
        boundary : bool
            An epoch (or phase) just ended.
        out_of_time : bool
            The loop stops now.

        Returns
        -------
        bool
            True at a boundary, out of time, or when ``save_minutes`` have passed since the last save.
        """
        if boundary or out_of_time or time.monotonic() - self.last_save > self.save_minutes * 60:
            self.last_save = time.monotonic()
            return True
        return False


__all__ = ["CheckpointKind", "SaveClock", "half_precision", "manifest_path", "pinned_sha256"]
