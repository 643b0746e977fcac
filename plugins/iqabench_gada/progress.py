"""The training progress bar: phase, step, the main losses and time left in the phase."""

from __future__ import annotations

import time

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn


class TrainingProgress:
    def __init__(self, settings) -> None:
        self.settings = settings
        self.bar = Progress(TextColumn("phase {task.fields[phase]} step {task.completed:.0f}/{task.total:.0f}"),
                            BarColumn(), TextColumn("{task.fields[losses]}"), TimeRemainingColumn(), transient=False)
        self.task = self.bar.add_task("train", total=settings.steps1, phase=1, losses="")
        self.last_print = 0.0

    def __enter__(self) -> "TrainingProgress":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def update(self, state: dict, settings) -> None:
        phase = state["phase"]
        shown = {name: value for name, value in state.get("losses", {}).items()
                 if name in ("d_total", "g_l1", "d_quality", "quality")}
        losses = " ".join(f"{name} {value:.4f}" for name, value in shown.items())
        self.bar.update(self.task, total=settings.steps(phase), completed=state["step"], phase=phase, losses=losses)
        if not self.bar.console.is_terminal and time.monotonic() - self.last_print > 30:
            self.last_print = time.monotonic()
            self.bar.console.print(f"phase {phase} step {state['step']}/{settings.steps(phase)} {losses} "
                                   f"{state['seconds']:.0f} s")
