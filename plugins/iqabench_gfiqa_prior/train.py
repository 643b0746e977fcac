"""Training on GFIQA-20k (§V, §VI-A): Adam, batch 16, 25 epochs, the learning rate divided by 10 every 10
epochs; only the encoder and the predictor are optimised (the generator is frozen); after each epoch the
validation part is scored and the weights with the best validation SRCC are kept; at the end those weights are
evaluated on the test part (SRCC, PLCC, RMSE as Table III reports them: raw, no logistic mapping).

The initial learning rate is lost from the text we have; 1e-4 (pSp's) is the default. The loss is Eq. 11
(:mod:`.losses`); the ``baseline`` variant trains a ResNet50 with L_q alone (Table III's ResNet50 row).

Training (:mod:`iqabench_training.loop`) saves after every epoch, every ``save_minutes``, when ``minutes`` run
out and when interrupted, and resumes from the file it writes (mid-epoch: the epoch's order is seeded, the
batches done are skipped). An epoch whose validation SRCC is undefined (NaN: constant scores) is the best only
until an epoch with a number comes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from iqabench_training.loop import Recipe, improves, train_epochs, training_device
from iqabench_training.resume import resumable
from iqabench_training.validation import correlations

from . import checkpoint
from .data import GfiqaData, loader
from .losses import LossWeights, objective
from .model import GfiqaPrior, ModelConfig, build, build_losses_networks, build_untrained_for_tests

#: the only value of ``pretrained`` that builds random weights: tests use it; the command line cannot.
RANDOM_WEIGHTS_FOR_TESTS = "random weights, for tests only"


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 25
    batch: int = 16
    lr: float = 1e-4
    decay_every: int = 10
    decay_factor: float = 0.1
    seed: int = 0
    workers: int = 0
    #: stop after this many optimizer steps in all (a smoke run); validation and test still run.
    max_steps: int | None = None
    save_minutes: float = 30.0
    #: images per batch when scoring the validation and test parts.
    eval_batch: int = 16

    def lr_at(self, epoch: int) -> float:
        return self.lr * self.decay_factor ** (epoch // self.decay_every)


def figures(predicted, truth) -> dict:
    """SRCC, PLCC and RMSE (raw scores against the MOS, as Table III)."""
    predicted, truth = np.asarray(predicted, dtype=np.float64), np.asarray(truth, dtype=np.float64)
    return {"images": int(len(truth)), **correlations(predicted, truth),
            "rmse": round(float(np.sqrt(np.mean((predicted - truth) ** 2))), 4)}


@torch.no_grad()
def predict(model: GfiqaPrior, rows: list, batch: int, device: torch.device, workers: int = 0) -> np.ndarray:
    model.eval()
    scores = [model(images.to(device))["score"].float().cpu() for images, _ in
              loader(rows, model.config.size, batch, workers)]
    return torch.cat(scores).numpy() if scores else np.zeros(0)


def evaluate(model: GfiqaPrior, rows: list, settings: TrainSettings, device: torch.device) -> dict | None:
    if len(rows) < 3:
        return None
    return figures(predict(model, rows, settings.eval_batch, device, settings.workers), [row[2] for row in rows])


class Run:
    """The model, the loss networks, the optimiser and the checkpoint payload of one training run."""

    def __init__(self, config: ModelConfig, weights: LossWeights, settings: TrainSettings, pretrained,
                 device: torch.device, resumed: dict | None) -> None:
        from . import files

        self.config, self.weights, self.settings, self.device = config, weights, settings, device
        if pretrained == RANDOM_WEIGHTS_FOR_TESTS:
            self.model, self.pretrained = build_untrained_for_tests(config, settings.seed)
            paths = None
        elif pretrained is None:
            paths = files.resolve(files.training_files(config.variant))
            self.model, self.pretrained = build(config, paths)
        else:
            raise ValueError(f"pretrained={pretrained!r}: None (the pretrained files) or RANDOM_WEIGHTS_FOR_TESTS")
        self.lpips = self.arcface = None
        if config.uses_generator:
            self.lpips, self.arcface, records = build_losses_networks(config, paths)
            self.pretrained.files.update(records)
        if resumed is not None:
            load_trained(self.model, resumed["model"])
        for module in (self.model, self.lpips, self.arcface):
            if module is not None:
                module.to(device)
        self.optimizer = torch.optim.Adam(self.model.trainable(), lr=settings.lr)
        if resumed is not None and "optimizer" in resumed:
            self.optimizer.load_state_dict(resumed["optimizer"])

    def step(self, images: torch.Tensor, mos: torch.Tensor) -> dict[str, float]:
        self.model.train()
        out = self.model(images, reconstruct=self.config.uses_generator)
        total, values = objective(out, images, mos, self.weights, self.lpips, self.arcface)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self.optimizer.step()
        return values

    def set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr


def load_trained(model: GfiqaPrior, state: dict) -> None:
    """A checkpoint's encoder, predictor and w̄ into ``model`` (whose generator comes from its file)."""
    result = model.load_state_dict({name: value.float() for name, value in state.items()}, strict=False)
    missing = [name for name in result.missing_keys if not name.startswith("generator.")]
    if missing or result.unexpected_keys:
        raise ValueError(f"checkpoint does not fit the model: missing {missing[:5]}, unexpected "
                         f"{result.unexpected_keys[:5]}")


class BestValidationEpochs(Recipe):
    """The epochs of §VI-A: the training part in a seeded order per epoch (a resumed epoch skips the batches
    done), the rate of :meth:`TrainSettings.lr_at`; after each epoch the validation part is scored and the
    weights with the best validation SRCC are kept (``best``). ``max_steps`` ends the epoch and the training.
    The checkpoint is one dict, ``contents``, kept up to date."""

    def __init__(self, run: Run, data: GfiqaData, contents: dict, out: Path, **clock) -> None:
        super().__init__(checkpoint.KIND, out, run.settings, contents["progress"], contents["history"], **clock)
        self.run, self.data, self.contents = run, data, contents
        self.batch_count = -(-len(data.parts["train"]) // run.settings.batch)
        self.view: dict = {}

    def units(self):
        while self.state["epoch"] < self.settings.epochs and not self.state["finished"]:
            yield self.state["epoch"]

    def batches(self, epoch: int):
        settings, state, rows = self.settings, self.state, self.data.parts["train"]
        self.run.set_lr(settings.lr_at(epoch))
        order = np.random.default_rng((settings.seed, epoch)).permutation(len(rows))
        self.sums, self.count = {}, 0
        for batch in loader(rows, self.run.config.size, settings.batch, settings.workers,
                            order[state["batches_done"] * settings.batch:], flip=True, seed=settings.seed, epoch=epoch):
            yield batch
            if settings.max_steps is not None and state["steps"] >= settings.max_steps:
                state["finished"] = True
                return

    def step(self, batch) -> None:
        images, mos = batch
        values = self.run.step(images.to(self.run.device), mos.to(self.run.device))
        state = self.state
        state["batches_done"] += 1
        state["steps"] += 1
        self.count += 1
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value
        self.view = {"epoch": state["epoch"], "batch": state["batches_done"], "steps": state["steps"],
                     "batches": self.batch_count, "losses": values, "seconds": self.seconds()}

    def end(self, epoch: int) -> dict:
        validation = evaluate(self.run.model, self.data.parts["validation"], self.settings, self.run.device)
        record = {"epoch": epoch + 1, "lr": self.settings.lr_at(epoch), "steps": self.state["steps"],
                  "losses": {name: round(value / max(self.count, 1), 5) for name, value in self.sums.items()},
                  "validation": validation, "seconds": round(self.seconds(), 1)}
        self.state["epoch"] += 1
        self.state["batches_done"] = 0
        return record

    def keep_best(self, record: dict) -> None:
        best = self.contents["best"]
        if improves(_srcc(record["validation"]), None if best is None else _srcc(best["validation"])):
            self.contents["best"] = {"epoch": record["epoch"], "validation": record["validation"],
                                     "model": checkpoint.trained_state(self.run.model)}

    def shown(self) -> tuple:
        """``progress`` receives the step's epoch, batch, steps, batches per epoch, losses and seconds."""
        return (self.view,)

    def payload(self) -> dict:
        self.state["seconds"] = self.seconds()
        self.contents["model"] = checkpoint.trained_state(self.run.model)
        self.contents["optimizer"] = self.run.optimizer.state_dict()
        return self.contents


def _srcc(validation: dict | None) -> float:
    return validation["srcc"] if validation else math.nan


def train(config: ModelConfig, weights: LossWeights, settings: TrainSettings, data: GfiqaData, out: Path, *,
          pretrained=None, minutes: float | None = None, restart: bool = False, device: torch.device | None = None,
          progress: Callable[[dict], None] | None = None) -> dict:
    """Train (or resume ``out``) and return the checkpoint payload; see the module docstring.

    ``pretrained`` None builds the model from the pretrained files (:mod:`.files`; missing ones are named in a
    WeightsError); :data:`RANDOM_WEIGHTS_FOR_TESTS` builds it with random weights (tests)."""
    device = training_device(device)
    wanted = {"model": config.to_dict(), "losses": weights.to_dict(), "settings": asdict(settings)}
    resumed = resumable(checkpoint.KIND, out, restart)
    if resumed is not None:
        if resumed["config"]["model"] != wanted["model"] or resumed["config"]["losses"] != wanted["losses"]:
            raise ValueError(f"{out} was trained with another model or loss configuration; pass --restart to "
                             f"start over, or another --out")
        if resumed["data"]["label_file_sha256"] != data.manifest["label_file_sha256"] or \
                resumed["data"]["seed"] != data.manifest["seed"]:
            raise ValueError(f"{out} was trained on another label file or split seed; pass --restart or another --out")
    torch.manual_seed(settings.seed)
    run = Run(config, weights, settings, pretrained, device, resumed)
    if resumed is not None and resumed["pretrained"]["random_weights"] != run.pretrained.random_weights:
        raise ValueError(f"{out} was trained {'with' if resumed['pretrained']['random_weights'] else 'without'} "
                         f"random weights; pass --restart")
    contents = resumed or {"config": wanted, "history": [], "best": None,
                           "progress": {"epoch": 0, "batches_done": 0, "steps": 0, "seconds": 0.0, "finished": False}}
    contents["config"] = wanted
    contents["pretrained"] = {"random_weights": run.pretrained.random_weights, "files": run.pretrained.files}
    contents["data"] = data.manifest
    recipe = BestValidationEpochs(run, data, contents, out, minutes=minutes, save_minutes=settings.save_minutes)
    train_epochs(recipe, progress=progress)
    state = contents["progress"]
    if state["epoch"] >= settings.epochs:
        state["finished"] = True
    if state["finished"] and "test" not in contents:
        load_trained(run.model, contents["best"]["model"])
        contents["test"] = {"epoch": contents["best"]["epoch"],
                            "figures": evaluate(run.model, data.parts["test"], settings, device)}
        recipe.save()
    return contents


__all__ = ["RANDOM_WEIGHTS_FOR_TESTS", "BestValidationEpochs", "TrainSettings", "evaluate", "figures", "load_trained",
           "predict", "train"]
