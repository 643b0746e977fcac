"""Resuming a training run from the checkpoint it writes (``--out``): the checkpoint to go on from, the
settings it must share with the command that resumes it, and the progress and history it goes on with."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from .checkpoints import CheckpointKind


def resumable(kind: CheckpointKind, out: Path, restart: bool) -> dict | None:
    """The checkpoint a run goes on from.

    Parameters
    ----------
    kind : CheckpointKind
        The model's checkpoints.
    out : Path
        The checkpoint the run writes (``--out``).
    restart : bool
        Start over even when ``out`` exists (``--restart``).

    Returns
    -------
    dict or None
        ``out``'s payload; None when there is none or ``restart`` is set.
    """
    return kind.load(out) if out.is_file() and not restart else None


def plain_settings(settings, leave_out: tuple[str, ...] = ()) -> dict:
    """A settings dataclass as the checkpoint's ``config`` stores it: a dict, tuples as lists.

    Parameters
    ----------
    settings : dataclass
        The training settings.
    leave_out : tuple of str
        Fields that do not belong in the checkpoint (how many processes read the data).

    Returns
    -------
    dict
        Field name -> value.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Settings:
    ...     epochs: int = 3
    ...     mos_range: tuple = (0.0, 1.0)
    ...     workers: int = 4
    >>> plain_settings(Settings(), leave_out=("workers",))
    {'epochs': 3, 'mos_range': [0.0, 1.0]}
    """
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(settings).items() if key not in leave_out}


def refuse_other_settings(out: Path, saved: dict, now: dict, may_change: tuple[str, ...], said: str) -> None:
    """Refuse to resume a checkpoint trained with other settings, rather than mix two recipes.

    Parameters
    ----------
    out : Path
        The checkpoint, for the message.
    saved : dict
        The settings it was trained with.
    now : dict
        The settings of the run that would resume it.
    may_change : tuple of str
        The settings that may differ (how long to train).
    said : str
        How the message names them (``--epochs``).

    Raises
    ------
    ValueError
        When a setting other than ``may_change`` differs; the message shows both.
    """
    def kept(settings: dict) -> dict:
        return {key: value for key, value in settings.items() if key not in may_change}

    if kept(saved) != kept(now):
        raise ValueError(f"{out} was trained with other settings; pass --restart to start over, or the same "
                         f"settings (only {said} may change) to resume:\n  saved: {saved}\n  now:   {now}")


def resumed_progress(saved: dict | None, fresh: dict) -> tuple[dict, list]:
    """The progress and history a run goes on with.

    Parameters
    ----------
    saved : dict or None
        The checkpoint resumed (:func:`resumable`), or None.
    fresh : dict
        The progress of a new run; it counts ``resumes``.

    Returns
    -------
    tuple of (dict, list)
        The saved progress with one more resume and the saved history, or ``fresh`` and no history.
    """
    if saved is None:
        return dict(fresh), []
    state = dict(saved["progress"])
    state["resumes"] += 1
    return state, list(saved["history"])


__all__ = ["plain_settings", "refuse_other_settings", "resumable", "resumed_progress"]
