"""The training progress display: a rich bar in a terminal, a plain line every 30 s when the output is not
a terminal (a log file), and lines printed above the bar (a finished epoch's figures).

Each model says what to show of its training state (:class:`Shown`): where the run is (epoch, batch,
phase, step), its latest figures (losses) and how far the bar is filled.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

#: seconds between two plain lines when the output is not a terminal.
LINE_SECONDS = 30


@dataclass(frozen=True)
class Shown:
    """What the display shows of a training state.

    ``where``: the position, as names and values (``{"epoch": "3/10", "step": 12}``); ``figures``: the
    latest figures (``{"loss": 0.2816}``; floats get four decimals); ``completed`` of ``total``: the bar
    (``total`` None: unknown); ``seconds``: the training time so far, for the plain line."""

    where: dict
    figures: dict
    completed: float
    total: float | None
    seconds: float


def text(fields: dict) -> str:
    """``name value`` pairs joined by spaces, floats with four decimals.

    Parameters
    ----------
    fields : dict
        Names and values, in the order shown.

    Returns
    -------
    str
        The text of the display.

    Examples
    --------
    >>> text({"epoch": "2/10", "step": 7, "loss": 0.28163})
    'epoch 2/10 step 7 loss 0.2816'
    """
    return " ".join(f"{name} {value:.4f}" if isinstance(value, float) else f"{name} {value}"
                    for name, value in fields.items())


class TrainingProgress:
    """The display of one training run: ``with TrainingProgress(title, show) as progress`` and
    ``progress.update`` as the training's progress callback; ``show`` turns what the callback receives
    into a :class:`Shown`."""

    def __init__(self, title: str, show: Callable[..., Shown]) -> None:
        self.title, self.show = title, show
        self.bar = Progress(TextColumn(f"{title} {{task.fields[where]}}"), BarColumn(),
                            TextColumn("{task.fields[figures]}"), TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task("train", total=None, where="", figures="")
        self.last_line = -math.inf  # the first update prints its line

    def __enter__(self) -> "TrainingProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, *state) -> None:
        """Show a training state: the bar, and in a log a plain line at most every :data:`LINE_SECONDS`.

        Parameters
        ----------
        *state
            What the training's progress callback receives, passed to ``show``.
        """
        shown = self.show(*state)
        where, figures = text(shown.where), text(shown.figures)
        self.bar.update(self.task, completed=shown.completed, total=shown.total, where=where, figures=figures)
        if not self.bar.console.is_terminal and time.monotonic() - self.last_line > LINE_SECONDS:
            self.last_line = time.monotonic()
            self.bar.console.print(f"{self.title} {where} {figures} {shown.seconds:.0f} s")

    def say(self, line: str) -> None:
        """Print a line above the bar, terminal or log, as it comes.

        Parameters
        ----------
        line : str
            The line (a finished epoch's figures).
        """
        self.bar.console.print(line, markup=False, highlight=False)


__all__ = ["LINE_SECONDS", "Shown", "TrainingProgress", "text"]
