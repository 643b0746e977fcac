"""The training progress display: epoch, batch within it, loss and time left; a plain line every 30 s
when the output is not a terminal (a log file)."""

from __future__ import annotations

import time

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


class TrainingProgress:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.bar = Progress(TextColumn("msfr {task.fields[variant]} epoch {task.fields[epoch]}/{task.fields[epochs]}"),
                            BarColumn(), TextColumn("batch {task.fields[batch]} loss {task.fields[loss]}"),
                            TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task("train", total=None, epoch=0, epochs=settings.epochs, loss="–", batch="–",
                                      variant=settings.variant)
        self.last_print = 0.0

    def __enter__(self) -> "TrainingProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, state: dict, settings) -> None:
        epoch = min(state["epoch"] + 1, settings.epochs)
        self.bar.update(self.task, completed=state["batch"], total=state.get("epoch_batches"), epoch=epoch,
                        batch=f"{state['batch']}/{state.get('epoch_batches')}",
                        loss=f"{state.get('loss', float('nan')):.5f}")
        if not self.bar.console.is_terminal and time.monotonic() - self.last_print > 30:
            self.last_print = time.monotonic()
            self.bar.console.print(f"epoch {epoch} batch {state['batch']}/{state.get('epoch_batches')} step "
                                   f"{state['steps']} loss {state.get('loss', float('nan')):.5f} "
                                   f"{state['seconds']:.0f} s")
