"""The training progress bar: epoch, optimizer step, loss and time left; a line per finished epoch."""

from __future__ import annotations

import time

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


def epoch_line(figures: dict) -> str:
    """``epoch 3: loss 0.2816 val SRCC 0.8619 PRA 0.8571`` (no validation part when there was none)."""
    line = "epoch {epoch}: loss {loss:.4f}".format(**figures)
    return line + (" val SRCC {srcc:.4f} PRA {pra:.4f}".format(**figures) if "srcc" in figures else "")


class TrainingProgress:
    def __init__(self, settings) -> None:
        self.settings = settings
        total = settings.epochs * settings.epoch_patches
        self.bar = Progress(TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]} step {task.fields[step]}"),
                            BarColumn(), TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn(),
                            transient=False)
        self.task = self.bar.add_task("train", total=total, epoch=0, epochs=settings.epochs, step=0, loss="–")
        self.last_print = 0.0

    def __enter__(self) -> "TrainingProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, state: dict, settings) -> None:
        self.bar.update(self.task, completed=state["patches"], epoch=min(state["epoch"] + 1, settings.epochs),
                        step=state["steps"], loss=f"{state.get('loss', float('nan')):.4f}")
        if not self.bar.console.is_terminal and time.monotonic() - self.last_print > 30:
            self.last_print = time.monotonic()
            self.bar.console.print(f"epoch {state['epoch'] + 1} step {state['steps']} patches {state['patches']} "
                                   f"loss {state.get('loss', float('nan')):.4f} {state['seconds']:.0f} s")

    def epoch_done(self, figures: dict) -> None:
        """Print the finished epoch's figures above the bar, terminal or log, as they come."""
        self.bar.console.print(epoch_line(figures))
