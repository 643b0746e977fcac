"""The training progress bar: epoch, batch, the main losses; a plain line every 30 s when not on a terminal."""

from __future__ import annotations

import time

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

SHOWN = ("total", "quality", "l2", "lpips", "identity")


class TrainingProgress:
    def __init__(self) -> None:
        self.bar = Progress(TextColumn("epoch {task.fields[epoch]} batch {task.completed:.0f}/{task.total:.0f}"),
                            BarColumn(), TextColumn("{task.fields[losses]}"), TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task("train", total=1, epoch=1, losses="")
        self.last_print = 0.0

    def __enter__(self) -> "TrainingProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, state: dict) -> None:
        losses = " ".join(f"{name} {value:.4f}" for name, value in state["losses"].items() if name in SHOWN)
        self.bar.update(self.task, total=state["batches"], completed=state["batch"], epoch=state["epoch"] + 1,
                        losses=losses)
        if not self.bar.console.is_terminal and time.monotonic() - self.last_print > 30:
            self.last_print = time.monotonic()
            self.bar.console.print(f"epoch {state['epoch'] + 1} batch {state['batch']}/{state['batches']} {losses} "
                                   f"{state['seconds']:.0f} s")


__all__ = ["TrainingProgress"]
