"""The training recipe (supplement §1 and Table 1): MAPE loss (or another, ``loss``); Adam (1e-3, β 0.9/0.999,
ε 1e-8) with a staircase decay of 0.9 per epoch; gradients accumulated to 512 patches; regular and adversarial steps
alternating with equal weight (PGD by default, FGSM as the documented CPU option).

Measured here: from scratch (no ImageNet weights can be downloaded) and with 16- or 64-patch steps,
the paper's 1e-3 drives the network to a constant output within 100 steps (patch SRCC ≈ 0, output
spread < 0.001 between a sharp face and its 1/16 copy); 1e-4 learns. The paper's 1e-3 assumed ImageNet
weights and 512-patch steps; ``--learning-rate`` sets it.

What the paper leaves open and is chosen here: an *epoch* is ``epoch_patches`` patches (the paper's
data set is not available); the best epoch is the one with the highest grouped SRCC on the validation
faces, if any are given.

``source_height``: the recipe labels a training face's own pixels as sharp (target 1 before any
degradation). CelebA-HQ's 1024-pixel faces are not: they were upsampled from smaller CelebA photographs, so a
copy resampled at 0.5 looks like the original and still gets 0.5. With ``source_height`` every training
and validation face is first downscaled to that height (when taller), where the label 1 holds better;
``"auto"`` lets each face's spectrum choose its height (:mod:`.sharpness`), so that sharp faces are seen at
several sizes and a face's size does not tell its target. The shipped checkpoint was trained at 512, then
fine-tuned at 256 on truly sharp faces with ``loss="l1"``, last with ``"auto"`` (docs/models/effres.md); a
checkpoint trained at their 1024 pixels scored clean held-out faces 0.44 on average, compressing the top of
the scale.
``loss``: the paper's MAPE divides each error by its target, so under uncertainty its best answer is a
median weighted by 1/target, pulled towards the small targets (down to 1/16): measured here, a checkpoint
trained with it read sharp held-out faces about 0.5. ``"l1"`` (absolute error) has the plain median as its
best answer, so the top of the scale is not pulled down, but weighs an error at 1/16 as one at 1;
``"log-l1"`` weighs errors relatively, as MAPE does, and its best answer is still the median. ``recipe``
overrides :class:`SampleRecipe` values (``prescale_heights``, ``downscale_probability``, ``method_weights``),
e.g. to draw more sharp (target 1) patches.
``init`` starts from another effres checkpoint's weights. Training (:mod:`iqabench_training.loop`) saves a
checkpoint after every optimizer step that ends a ``save_minutes`` interval, after every epoch, when ``minutes``
run out and when interrupted, and resumes from ``--out`` when it exists. An epoch whose validation SRCC is
undefined (NaN: the model scored every face constant) is the best epoch only until one with a number comes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from iqabench_training.loop import Recipe, improves, train_epochs, training_device
from iqabench_training.resume import plain_settings, refuse_other_settings, resumable, resumed_progress

from . import checkpoint
from .adversarial import fgsm, pgd_l2
from .faces import load_faces
from .model import EffResNet
from .samples import SampleMaker, SampleRecipe
from .validation import validation_set, validate

ATTACKS = ("pgd", "fgsm", "none")
LOSSES = ("mape", "l1", "log-l1")
#: the floor of a prediction inside a logarithm (targets are at least 1/16).
LOG_FLOOR = 1 / 64
#: settings of this machine, not of the recipe: not saved, free to change on resume.
LOCAL = ("workers",)


@dataclass(frozen=True)
class TrainSettings:
    backbone: str = "resnet50"
    patch: int = 256
    batch: int = 4
    accumulate: int = 512
    learning_rate: float = 1e-3
    decay: float = 0.9
    epochs: int = 10
    epoch_patches: int = 51200
    attack: str = "pgd"
    #: PGD's L2 step: 30 for 256-pixel patches, 15 for 128 (Table 1).
    pgd_step: float | None = None
    mask: str = "mediapipe"
    seed: int = 0
    workers: int = 1
    imagenet: str | None = None
    #: downscale taller training (and validation) faces to this height first, so that their label 1 is true;
    #: "auto": each face to the height its spectrum shows sharp (:mod:`.sharpness`).
    source_height: int | str | None = None
    #: an effres checkpoint whose weights training starts from (same backbone).
    init: str | None = None
    #: "mape" (Table 1), "l1" or "log-l1" (both unbiased towards small targets; see the module docstring).
    loss: str = "mape"
    recipe: dict = field(default_factory=dict)

    def resolved_pgd_step(self) -> float:
        return self.pgd_step if self.pgd_step is not None else (30.0 if self.patch >= 256 else 15.0)

    def sample_recipe(self) -> SampleRecipe:
        return SampleRecipe.for_patch(self.patch, **self.recipe)

    def criterion(self):
        """The loss function named by ``loss``."""
        return {"mape": mape, "l1": absolute_error, "log-l1": log_absolute_error}[self.loss]


def mape(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute percentage error (Table 1, "Loss function"); targets are at least 1/16."""
    return ((predicted - target).abs() / target).mean()


def absolute_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error: its minimiser is the median target, not biased towards small ones as MAPE's is."""
    return (predicted - target).abs().mean()


def log_absolute_error(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of |log p − log y| (p floored at :data:`LOG_FLOOR`) plus |p − y|: relative errors, as MAPE weighs
    them, yet both terms are minimised by the median target; the second keeps a gradient below the floor."""
    floored = predicted.clamp(min=LOG_FLOOR)
    return ((floored.log() - target.log()).abs() + (predicted - target).abs()).mean()


class PatchStream(torch.utils.data.IterableDataset):
    """An endless stream of (patches N×3×P×P float on [0, 255], targets N) batches; each worker has its
    own seed (``seed``, worker id, resume count), so a resumed run draws new samples."""

    def __init__(self, maker: SampleMaker, batch: int, seed: int) -> None:
        self.maker, self.batch, self.seed = maker, batch, seed

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, info.id if info else 0])
        patches, targets = [], []
        while True:
            drawn, labels = self.maker.draw(rng)
            patches.extend(drawn)
            targets.extend(labels)
            while len(patches) >= self.batch:
                chunk = np.stack(patches[:self.batch])
                yield (torch.from_numpy(chunk).permute(0, 3, 1, 2).float(),
                       torch.tensor(targets[:self.batch], dtype=torch.float32))
                del patches[:self.batch], targets[:self.batch]


def build_model(settings: TrainSettings) -> EffResNet:
    model = EffResNet(settings.backbone)
    if settings.imagenet:
        model.load_imagenet(settings.imagenet)
    if settings.init:
        start = checkpoint.load(Path(settings.init))
        if start["config"]["settings"]["backbone"] != settings.backbone:
            raise ValueError(f"--init {settings.init} holds a {start['config']['settings']['backbone']}, "
                             f"not a {settings.backbone}: pass its --backbone")
        model.load_state_dict({name: value.float() for name, value in start["model"].items()})
    return model


def _adversarial(model, images, targets, settings: TrainSettings) -> torch.Tensor:
    criterion = settings.criterion()
    loss = lambda batch: criterion(model(batch), targets)  # noqa: E731
    if settings.attack == "pgd":
        return pgd_l2(loss, images, settings.resolved_pgd_step())
    return fgsm(loss, images)


class PatchEpochs(Recipe):
    """effres's epochs: ``epoch_patches`` patches each, in optimizer steps of ``accumulate`` patches drawn
    ``batch`` at a time from an endless stream, regular and adversarial batches alternating; the learning rate
    decays per epoch (Table 1). With validation faces, the epoch with the best grouped SRCC is also saved as
    ``<out>.best.pt``."""

    def __init__(self, settings: TrainSettings, model: EffResNet, optimizer, faces, held_out, device, out: Path,
                 state: dict, history: list, **clock) -> None:
        super().__init__(checkpoint.KIND, out, settings, state, history, **clock)
        self.model, self.optimizer, self.faces, self.held_out, self.device = model, optimizer, faces, held_out, device
        maker = SampleMaker(faces.images, faces.masks, settings.sample_recipe())
        stream = PatchStream(maker, settings.batch, settings.seed * 1000 + state["resumes"])
        self.stream = iter(torch.utils.data.DataLoader(stream, batch_size=None, num_workers=settings.workers,
                                                       persistent_workers=settings.workers > 0))
        model.train()

    def batches(self, epoch: int):
        for group in self.optimizer.param_groups:  # staircase decay, Table 1
            group["lr"] = self.settings.learning_rate * self.settings.decay ** epoch
        while self.state["patches"] < (epoch + 1) * self.settings.epoch_patches:
            yield epoch

    def step(self, _) -> None:
        settings, state = self.settings, self.state
        micro_steps = settings.accumulate // settings.batch
        losses = []
        self.optimizer.zero_grad(set_to_none=True)
        for micro in range(micro_steps):
            images, targets = (tensor.to(self.device) for tensor in next(self.stream))
            if settings.attack != "none" and (state["patches"] // settings.batch + micro) % 2:
                images = _adversarial(self.model, images, targets, settings)
            loss = settings.criterion()(self.model(images), targets)
            (loss / micro_steps).backward()
            losses.append(loss.item())
        self.optimizer.step()
        state["steps"] += 1
        state["patches"] += settings.accumulate
        state["loss"] = float(np.mean(losses))

    def end(self, epoch: int) -> dict:
        state = self.state
        figures = {"epoch": epoch + 1, "patches": state["patches"], "loss": state["loss"],
                   "seconds": round(state["seconds"], 1)}
        if self.held_out is not None:
            self.model.eval()
            figures.update(validate(self.model, self.held_out, self.settings.patch, self.device))
            self.model.train()
        state["epoch"] += 1
        return figures

    def keep_best(self, figures: dict) -> None:
        if self.held_out is not None and improves(figures["srcc"], self.state["best"]):
            self.state["best"] = figures["srcc"]
            self.kind.save(self.out.with_suffix(".best.pt"), self.payload())

    def payload(self) -> dict:
        return {"config": {"settings": plain_settings(self.settings, LOCAL),
                           "recipe": asdict(self.settings.sample_recipe())},
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "progress": dict(self.state), "data": self.faces.manifest, "history": self.history}


def train(settings: TrainSettings, data: list[Path], out: Path, *, validation: list[Path] = (),
          minutes: float | None = None, save_minutes: float = 5.0, device: torch.device | None = None,
          restart: bool = False, progress=None, on_epoch=None, root: Path | None = None) -> dict:
    """Train (or resume) and return the last checkpoint's payload. ``minutes`` stops cleanly, saving,
    once that much time has passed; ``progress(state, settings)`` is called after every optimizer step and
    ``on_epoch(figures)`` after every epoch (its loss, and validation SRCC/PRA when there is validation)."""
    if settings.attack not in ATTACKS:
        raise ValueError(f"unknown attack {settings.attack!r}; choose one of {', '.join(ATTACKS)}")
    if settings.loss not in LOSSES:
        raise ValueError(f"unknown loss {settings.loss!r}; choose one of {', '.join(LOSSES)}")
    if settings.accumulate % settings.batch:
        raise ValueError(f"accumulate ({settings.accumulate}) must be a multiple of batch ({settings.batch})")
    device = training_device(device)
    torch.manual_seed(settings.seed)
    model = build_model(settings).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate, betas=(0.9, 0.999), eps=1e-8)
    saved = resumable(checkpoint.KIND, out, restart)
    if saved is not None:
        refuse_other_settings(out, saved["config"]["settings"], plain_settings(settings, LOCAL), ("epochs",),
                              "--epochs")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
    state, history = resumed_progress(saved, {"epoch": 0, "patches": 0, "steps": 0, "seconds": 0.0, "resumes": 0,
                                              "best": None})
    faces = load_faces(data, settings.mask, root=root, height=settings.source_height)
    held_out = validation_set(validation, settings.mask, seed=settings.seed,
                              height=settings.source_height) if validation else None
    recipe = PatchEpochs(settings, model, optimizer, faces, held_out, device, out, state, history, minutes=minutes,
                         save_minutes=save_minutes)
    train_epochs(recipe, progress=progress, on_epoch=on_epoch)
    return recipe.payload()


__all__ = ["ATTACKS", "LOSSES", "PatchEpochs", "TrainSettings", "absolute_error", "log_absolute_error", "mape",
           "train"]
