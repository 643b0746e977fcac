"""The progress of a run, on stderr: what is scored, how far, images per second, time left.

A terminal gets a live bar; a log or a pipe (CI) gets a line every ``IQABENCH_PROGRESS_SECONDS``
(default 30) and one when a task ends, so a long run never looks stuck.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.text import Text

from .console import err, say

SECONDS_ENV = "IQABENCH_PROGRESS_SECONDS"


class RateColumn(ProgressColumn):
    """Images per second."""

    def render(self, task) -> Text:
        return Text(f"{task.speed:.1f} img/s" if task.speed else "– img/s")


def progress_bar():
    """A live bar on a terminal, else :class:`ProgressLines`."""
    if err.is_terminal:
        return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                        TimeRemainingColumn(), console=err, transient=True)
    return ProgressLines(_interval())


def _interval() -> float:
    value = os.environ.get(SECONDS_ENV, "30")
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        from ..errors import UsageError

        raise UsageError(f"{SECONDS_ENV}={value!r} is not a positive number of seconds")
    return seconds


@dataclass
class _Task:
    description: str
    total: int
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    printed: float = field(default_factory=time.monotonic)


class ProgressLines:
    """The part of :class:`rich.progress.Progress` the runner uses, printed as plain lines."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.tasks: list[_Task] = []

    def __enter__(self) -> "ProgressLines":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def add_task(self, description: str, total: int, **_) -> int:
        self.tasks.append(_Task(description, int(total)))
        if not total:
            say(f"{description}: nothing to score", error=True)
        return len(self.tasks) - 1

    def advance(self, task_id: int, count: int) -> None:
        task = self.tasks[task_id]
        task.done += count
        now = time.monotonic()
        if task.done >= task.total or now - task.printed >= self.interval:
            task.printed = now
            say(line(task, now), error=True)

    def stop(self) -> None:
        """Nothing is live to stop; here for the interface."""


def line(task: _Task, now: float) -> str:
    """``niqe on koniq: 1200/10073 (12%), 3.4 img/s, 0:43:28 left`` (``done in 0:05:01`` at the end)."""
    elapsed = max(now - task.started, 1e-9)
    rate = task.done / elapsed
    share = f" ({task.done / task.total:.0%})" if task.total else ""
    text = f"{task.description}: {task.done}/{task.total}{share}, {rate:.1f} img/s"
    if task.done >= task.total:
        return f"{text}, done in {_clock(elapsed)}"
    return f"{text}, {_clock((task.total - task.done) / rate) if rate else '–'} left"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
