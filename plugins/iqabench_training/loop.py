"""The epoch loop every model trains with: units (epochs, or a recipe's phases) of optimizer steps, the
figures of each finished unit, the best epoch, the time budget, and when the checkpoint is saved.

A model supplies a :class:`Recipe`: its units, each unit's batches, one optimizer step, the figures that end
a unit (validation included) and the payload it saves. :func:`train_epochs` runs it: after every step the
recipe's batches are asked for the next one (so a unit ends on the step that exhausts it); a finished
unit's figures go to the history and to ``on_epoch``; the checkpoint is saved when a unit ends, every
``save_minutes``, when the ``minutes`` run out (the loop then stops) and on an interrupt (Ctrl-C), which is
raised again; ``progress`` is called after every step, once the checkpoint due is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

from .checkpoints import CheckpointKind, SaveClock

#: what a recipe's batches give when a unit has no batch left.
_END = object()


class Recipe:
    """One model's training, as :func:`train_epochs` runs it.

    ``state`` is the progress saved as the checkpoint's ``progress`` (its ``seconds`` is the training time
    so far, kept up to date by the loop); ``history`` holds each finished unit's figures. The clock starts
    when the recipe is made: make it once the data are read. The methods a model overrides are
    :meth:`batches`, :meth:`step`, :meth:`end` and :meth:`payload`; :meth:`units`, :meth:`stopped`,
    :meth:`keep_best` and :meth:`shown` have defaults."""

    def __init__(self, kind: CheckpointKind, out: Path, settings, state: dict, history: list, *,
                 minutes: float | None = None, save_minutes: float = 5.0) -> None:
        self.kind, self.out, self.settings, self.state, self.history = kind, out, settings, state, history
        self.clock = SaveClock(minutes, save_minutes)
        self.seconds_before = state["seconds"]

    def seconds(self) -> float:
        """The training time so far: the saved runs' and this one's."""
        return self.seconds_before + self.clock.elapsed()

    def units(self) -> Iterable:
        """The units left to train, in order; the default: each epoch from ``state["epoch"]`` to
        ``settings.epochs``, asked for when the previous one has ended."""
        while self.state["epoch"] < self.settings.epochs:
            yield self.state["epoch"]

    def batches(self, unit) -> Iterable:
        """The batches ``unit`` has left (none when it was finished before an interrupt); the next one is
        asked for after each step's counts are in ``state``."""
        raise NotImplementedError

    def step(self, batch) -> None:
        """One optimizer step on ``batch``, and its counts in ``state``."""
        raise NotImplementedError

    def end(self, unit) -> dict:
        """The figures of the finished ``unit`` (validation included); moves ``state`` on to the next."""
        raise NotImplementedError

    def payload(self) -> dict:
        """What the checkpoint holds (``format`` aside)."""
        raise NotImplementedError

    def stopped(self) -> dict | None:
        """The figures of a unit stopped by time in its middle, for the history; None: none recorded."""
        return None

    def keep_best(self, figures: dict) -> None:
        """Called after a unit's figures joined the history: keep the best epoch (see :func:`improves`)."""

    def shown(self) -> tuple:
        """What the ``progress`` callback receives; the default: ``(state, settings)``."""
        return self.state, self.settings

    def save(self) -> None:
        """Write the checkpoint to ``out``."""
        self.kind.save(self.out, self.payload())


def train_epochs(recipe: Recipe, *, progress: Callable | None = None,
                 on_epoch: Callable[[dict], None] | None = None) -> bool:
    """Train the units a recipe has left; see the module docstring for when it saves.

    Parameters
    ----------
    recipe : Recipe
        The model's training, resumed or new.
    progress : callable, optional
        Called after every step with ``recipe.shown()``.
    on_epoch : callable, optional
        Called with each finished unit's figures.

    Returns
    -------
    bool
        True when the ``minutes`` ran out (the loop stopped, the checkpoint saved).

    Raises
    ------
    KeyboardInterrupt
        Again, once the checkpoint holds every step finished before it.
    """
    for unit in recipe.units():
        batches = iter(recipe.batches(unit))
        batch = next(batches, _END)
        stepped = False
        while True:
            if batch is not _END:
                try:
                    recipe.step(batch)
                    recipe.state["seconds"] = recipe.seconds()
                    batch = next(batches, _END)
                except KeyboardInterrupt:  # keep every finished step: the next run resumes from there
                    recipe.save()
                    raise
                stepped = True
            ended = batch is _END
            if ended:
                figures = recipe.end(unit)
                recipe.history.append(figures)
                if on_epoch is not None:
                    on_epoch(figures)
                recipe.keep_best(figures)
            out_of_time = recipe.clock.out_of_time()
            if out_of_time and not ended and (figures := recipe.stopped()) is not None:
                recipe.history.append(figures)
            if recipe.clock.due(ended, out_of_time):
                recipe.save()
            if progress is not None and stepped:
                progress(*recipe.shown())
            if out_of_time:
                return True
            if ended:
                break
    return False


def improves(value: float | None, best: float | None) -> bool:
    """Whether an epoch becomes the best epoch so far (higher is better).

    An undefined figure (None or NaN: no validation, or constant scores) ranks below every number: the first
    epoch is the best even when its figure is undefined, and the first epoch with a number replaces it.

    Parameters
    ----------
    value : float or None
        The epoch's validation figure (SRCC).
    best : float or None
        The best epoch's figure; None when there is no best epoch yet.

    Returns
    -------
    bool
        True when the epoch replaces the best one.

    Examples
    --------
    >>> improves(0.5, None), improves(float("nan"), None), improves(0.2, float("nan")), improves(0.2, 0.5)
    (True, True, True, False)
    >>> improves(float("nan"), 0.5), improves(None, float("nan"))
    (False, False)
    """
    if best is None:
        return True
    if value is None or math.isnan(value):
        return False
    return math.isnan(best) or value > best


def training_device(device=None):
    """The device to train on.

    Parameters
    ----------
    device : torch.device, optional
        The one asked for.

    Returns
    -------
    torch.device
        ``device``, or CUDA when present, else the CPU.
    """
    import torch

    return device or torch.device("cuda" if torch.cuda.is_available() else "cpu")


__all__ = ["Recipe", "improves", "train_epochs", "training_device"]
