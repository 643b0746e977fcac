"""The model plugins' training kit (``iqabench_training``): the epoch loop on a toy recipe (when units end,
when it saves, the best epoch with undefined figures, time running out, interrupts), resuming, the training
commands' exit codes, plugin registration, the progress display, and the examples of its docstrings."""

from __future__ import annotations

import doctest
import importlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from iqabench_training.checkpoints import CheckpointKind
from iqabench_training.command import training_command
from iqabench_training.loop import Recipe, improves, train_epochs
from iqabench_training.plugin import command_at, model_plugin
from iqabench_training.progress import Shown, TrainingProgress
from iqabench_training.resume import plain_settings, refuse_other_settings, resumable, resumed_progress

from iqabench.errors import Problems, UsageError, WeightsError
from iqabench.trainer import Trainer

KIND = CheckpointKind("toy", "iqabench-toy/1")
NAN = math.nan


@dataclass(frozen=True)
class Settings:
    epochs: int = 2
    per_epoch: int = 3


class Counting(Recipe):
    """Epochs of ``per_epoch`` steps; each epoch's validation figure is the next of ``figures``."""

    def __init__(self, out: Path, settings=Settings(), figures=(), state=None, **clock) -> None:
        state = state or {"epoch": 0, "batch": 0, "steps": 0, "seconds": 0.0, "best": None}
        super().__init__(KIND, out, settings, state, [], **clock)
        self.figures, self.saves, self.best_epochs = list(figures), [], []

    def batches(self, epoch):
        while self.state["batch"] < self.settings.per_epoch:
            yield self.state["batch"]

    def step(self, batch) -> None:
        assert batch == self.state["batch"]
        self.state["batch"] += 1
        self.state["steps"] += 1

    def end(self, epoch) -> dict:
        self.state["epoch"] += 1
        self.state["batch"] = 0
        return {"epoch": epoch + 1, "steps": self.state["steps"],
                "srcc": self.figures[epoch] if self.figures else None}

    def keep_best(self, figures: dict) -> None:
        if improves(figures["srcc"], self.state["best"]):
            self.state["best"] = figures["srcc"]
            self.best_epochs.append(figures["epoch"])

    def payload(self) -> dict:
        return {"progress": dict(self.state), "history": list(self.history)}

    def save(self) -> None:
        self.saves.append(self.state["steps"])
        super().save()


def test_a_unit_ends_on_the_step_that_exhausts_it_and_each_end_is_saved(tmp_path):
    recipe = Counting(tmp_path / "toy.pt", save_minutes=60)
    shown, ended = [], []
    stopped = train_epochs(recipe, progress=lambda state, _: shown.append((state["epoch"], state["steps"])),
                           on_epoch=ended.append)
    assert not stopped
    assert shown == [(0, 1), (0, 2), (1, 3), (1, 4), (1, 5), (2, 6)]  # the epoch ends before progress hears of it
    assert ended == recipe.history and [figures["steps"] for figures in ended] == [3, 6]
    assert recipe.saves == [3, 6]
    saved = KIND.load(tmp_path / "toy.pt")
    assert saved["progress"]["steps"] == 6 and len(saved["history"]) == 2
    assert recipe.state["seconds"] > 0
    again = Counting(tmp_path / "toy.pt", state=dict(saved["progress"]))
    assert not train_epochs(again) and again.saves == []  # nothing left: nothing trained, nothing written


def test_save_minutes_zero_saves_after_every_step(tmp_path):
    recipe = Counting(tmp_path / "toy.pt", save_minutes=0)
    train_epochs(recipe)
    assert recipe.saves == [1, 2, 3, 4, 5, 6]


def test_an_undefined_validation_figure_is_best_only_until_a_number_comes(tmp_path):
    recipe = Counting(tmp_path / "toy.pt", Settings(epochs=5, per_epoch=1), figures=[NAN, 0.3, NAN, 0.2, 0.5])
    train_epochs(recipe)
    assert recipe.best_epochs == [1, 2, 5] and recipe.state["best"] == 0.5
    first_undefined = Counting(tmp_path / "other.pt", Settings(epochs=3, per_epoch=1), figures=[NAN, NAN, None])
    train_epochs(first_undefined)
    assert first_undefined.best_epochs == [1] and math.isnan(first_undefined.state["best"])


def test_improves_ranks_undefined_figures_below_every_number():
    assert improves(0.1, None) and improves(NAN, None) and improves(None, None)
    assert improves(0.1, NAN) and improves(-0.5, NAN) and improves(0.6, 0.5)
    assert not improves(NAN, NAN) and not improves(None, NAN) and not improves(NAN, 0.2)
    assert not improves(0.5, 0.5) and not improves(0.4, 0.5)


class StoppedMidEpoch(Counting):
    def stopped(self) -> dict:
        return {"epoch": self.state["epoch"] + 1, "partial": True, "steps": self.state["steps"]}


def test_when_time_runs_out_the_run_saves_records_the_stopped_unit_and_stops(tmp_path):
    recipe = StoppedMidEpoch(tmp_path / "toy.pt", minutes=0, save_minutes=60)
    shown = []
    assert train_epochs(recipe, progress=lambda state, _: shown.append(state["steps"]))
    assert shown == [1] and recipe.saves == [1]
    assert recipe.history == [{"epoch": 1, "partial": True, "steps": 1}]
    assert KIND.load(tmp_path / "toy.pt")["history"] == recipe.history
    ending = StoppedMidEpoch(tmp_path / "end.pt", Settings(epochs=2, per_epoch=1), minutes=0)
    assert train_epochs(ending)  # the epoch ended on that step: its figures, not a stopped unit's
    assert ending.history == [{"epoch": 1, "steps": 1, "srcc": None}] and ending.state["epoch"] == 1


class Interrupted(Counting):
    def step(self, batch) -> None:
        if self.state["steps"] == 2:
            raise KeyboardInterrupt
        super().step(batch)


def test_an_interrupt_saves_every_finished_step_and_goes_on(tmp_path):
    recipe = Interrupted(tmp_path / "toy.pt", save_minutes=60)
    with pytest.raises(KeyboardInterrupt):
        train_epochs(recipe)
    assert recipe.saves == [2] and KIND.load(tmp_path / "toy.pt")["progress"]["steps"] == 2


def test_a_unit_finished_before_an_interrupt_ends_without_a_step(tmp_path):
    recipe = Counting(tmp_path / "toy.pt", state={"epoch": 0, "batch": 3, "steps": 3, "seconds": 1.0, "best": None})
    shown = []
    train_epochs(recipe, progress=lambda state, _: shown.append(state["steps"]))
    assert [figures["steps"] for figures in recipe.history] == [3, 6] and recipe.saves == [3, 6]
    assert shown == [4, 5, 6]


def test_resuming_refuses_other_settings_but_what_may_change(tmp_path):
    saved = {"epochs": 2, "seed": 0, "mos_range": [0.0, 1.0]}
    refuse_other_settings(tmp_path / "x.pt", saved, {**saved, "epochs": 5}, ("epochs",), "--epochs")
    with pytest.raises(ValueError, match=re.escape("other settings; pass --restart to start over, or the same "
                                                   "settings (only --epochs may change) to resume")) as raised:
        refuse_other_settings(tmp_path / "x.pt", saved, {**saved, "seed": 1}, ("epochs",), "--epochs")
    message = str(raised.value)
    assert "saved: {'epochs': 2, 'seed': 0" in message and "now:   {'epochs': 2, 'seed': 1" in message
    assert plain_settings(Settings()) == {"epochs": 2, "per_epoch": 3}
    assert plain_settings(Settings(), leave_out=("per_epoch",)) == {"epochs": 2}


def test_resuming_goes_on_from_the_saved_progress_and_counts_the_resume(tmp_path):
    out = tmp_path / "toy.pt"
    fresh = {"epoch": 0, "seconds": 0.0, "resumes": 0}
    assert resumable(KIND, out, restart=False) is None
    assert resumed_progress(None, fresh) == (fresh, [])
    KIND.save(out, {"progress": {"epoch": 1, "seconds": 5.0, "resumes": 0}, "history": [{"epoch": 1}]})
    assert resumable(KIND, out, restart=True) is None
    saved = resumable(KIND, out, restart=False)
    state, history = resumed_progress(saved, fresh)
    assert state == {"epoch": 1, "seconds": 5.0, "resumes": 1} and history == [{"epoch": 1}]
    assert saved["progress"]["resumes"] == 0  # the copy counts, not the payload read


def _command(raised: BaseException):
    @click.command()
    @training_command
    def train() -> None:
        raise raised

    return train


@pytest.mark.parametrize("raised, code, said", [
    (ValueError("--batch must be at least 2"), 2, "Error: --batch must be at least 2"),
    (FileNotFoundError("no faces in x"), 2, "Error: no faces in x"),
    (UsageError("no such dataset"), 2, "error: no such dataset"),
    (WeightsError("missing model_ir_se50.pth"), 3, "error: missing model_ir_se50.pth"),
    (Problems([WeightsError("first"), WeightsError("second")]), 3, "error: first\nerror: second"),
    (Problems([WeightsError("first"), UsageError("second")]), 2, "error: second"),
    (KeyboardInterrupt(), 130, "interrupted: the checkpoint holds every step finished"),
])
def test_a_training_commands_errors_are_one_message_and_the_documented_exit_code(raised, code, said):
    result = CliRunner().invoke(_command(raised), [])
    assert result.exit_code == code and said in result.output, result.output
    assert "Traceback" not in result.output


def test_a_model_plugin_registers_its_metrics_and_its_recipe_without_importing_it():
    from iqabench import Metric

    class Toy(Metric):
        name = "toy"

    trainer = Trainer("toy", "a toy recipe", command_at("iqabench_training.command:training_command"))
    register_metrics, register_trainers = model_plugin([Toy], trainer)
    assert all(hasattr(hook, "iqabench_impl") for hook in (register_metrics, register_trainers))  # pluggy's marker
    metrics, trainers = [], []
    register_metrics(metrics.append)
    register_trainers(trainers.append)
    assert [type(metric) for metric in metrics] == [Toy] and trainers == [trainer]
    assert trainer.command() is training_command


def test_the_model_plugins_register_their_trainers_and_import_no_cli_module():
    from iqabench.plugins import load_registry

    assert {"effres", "msfr", "gada", "gfiqa-prior"} <= set(load_registry().trainers)
    plugins = Path(__file__).resolve().parents[1] / "plugins"
    for package in ("iqabench_effres", "iqabench_msfr", "iqabench_gada", "iqabench_gfiqa_prior",
                    "iqabench_training"):
        for module in (plugins / package).glob("*.py"):
            assert not re.search(r"^\s*(from|import) iqabench\.cli", module.read_text(encoding="utf-8"), re.M), module


def test_the_display_prints_a_plain_line_in_a_log_and_lines_above_the_bar(capsys, monkeypatch):
    from iqabench_training import progress as display

    monkeypatch.setattr(display, "LINE_SECONDS", 3600)

    def show(state: dict, settings) -> Shown:
        return Shown({"epoch": f"{state['epoch'] + 1}/{settings.epochs}"}, {"loss": state["loss"]},
                     state["epoch"], settings.epochs, state["seconds"])

    with TrainingProgress("toy", show) as progress:
        progress.update({"epoch": 0, "loss": 0.123456, "seconds": 12.4}, Settings())
        progress.update({"epoch": 1, "loss": 0.1, "seconds": 13.0}, Settings())  # within the hour: no line
        progress.say("epoch 1: loss 0.1235 [not markup]")
    lines = capsys.readouterr().out.splitlines()
    assert "toy epoch 1/2 loss 0.1235 12 s" in lines and "epoch 1: loss 0.1235 [not markup]" in lines
    assert not any("toy epoch 2/2 loss 0.1000 13 s" in line for line in lines)


def test_grouped_validation_leaves_torchs_thread_count_as_it_was():
    import torch
    from iqabench_training.validation import grouped_figures

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        torch.__config__.parallel_info()  # reads OpenMP's settings, as training's kernels do
        assert grouped_figures([0.1, 0.5, 0.3, 0.2], [1, 2, 3, 4], [0, 0, 0, 0])["groups"] == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("name", ["checkpoints", "command", "loop", "plugin", "progress", "resume", "validation"])
def test_the_examples_of_the_kits_docstrings_run(name):
    module = importlib.import_module(f"iqabench_training.{name}")
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert failed == 0
