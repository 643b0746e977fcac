"""The training recipe (§II-B): SGD with momentum 0.9, learning rate 1e-3, batch 128, weight decay 1e-7,
the l2 loss of eq. (3) (taken as the mean squared error over the batch), 128×128 patches labelled with
their image's score, on the training references of an 80/20 split by reference image (§III-B). The paper
reports results "after 100 epochs"; ``epochs`` defaults to that.

What the paper leaves open and is chosen here:

- an *epoch* is every training image's patches on a stride-128 grid from a random offset (one per image
  and epoch, :func:`.patches.training_grid`), shuffled; a last batch of fewer than two patches is dropped
  (batch normalisation needs two);
- the last layer's bias starts at the mean training label (:meth:`.model.MSFRNet.start_output_at`);
- labels are mapped to [0, 1] (``mos_range``, :mod:`.data`) so that every checkpoint scores on the
  metric's declared range;
- after every epoch the test images (the held-out references' distorted images) are scored as the metric
  scores them (:mod:`.inference`) and SRCC, PLCC and PLCC after the VQEG logistic (iqabench.stats) are
  recorded. They are reported, never used to pick an epoch: the last epoch is what training leaves. A run
  stopped by ``minutes`` in the middle of an epoch evaluates the weights it saves too (a history entry with
  ``partial: true``; its loss is the last batch's); that evaluation comes after the minutes.

A run (:mod:`iqabench_training.loop`) saves ``--out`` every ``save_minutes``, after every epoch, when
``minutes`` run out and when interrupted, and resumes from it: an epoch's patch order is a function of
(seed, epoch), so a resumed run skips the batches done and continues the same sequence. The settings must
match to resume (``epochs`` may change), and so must the label file's sha256.

``init`` starts a new run from another checkpoint's weights (a shipped compact one too) instead of the
initialisation of :class:`.model.MSFRNet`, with a fresh optimizer: fine-tuning on a new label. The data
manifest records its file name and sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from iqabench_training.loop import Recipe, train_epochs, training_device
from iqabench_training.resume import plain_settings, refuse_other_settings, resumable, resumed_progress
from iqabench_training.validation import correlations

from . import checkpoint
from .data import LumaSet, label_file, load_split, manifest, read_rows
from .inference import score_pairs
from .model import PATCH, VARIANTS, MSFRNet, as_input, on_device
from .patches import crops, training_grid


@dataclass(frozen=True)
class TrainSettings:
    variant: str = "full"
    batch: int = 128
    learning_rate: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-7
    epochs: int = 100
    mos_range: tuple[float, float] = (0.0, 1.0)
    seed: int = 0
    #: the share of references held out when the label file has no split column.
    test_share: float = 0.2


def epoch_batches(images: LumaSet, epoch: int, settings: TrainSettings) -> list[np.ndarray]:
    """The batches of one epoch, each an array of (image index, y, x) rows; a function of (seed, epoch)."""
    rng = np.random.default_rng([settings.seed, epoch])
    rows = [np.column_stack([np.full(len(corners), index), corners])
            for index, image in enumerate(images.dists)
            for corners in [training_grid(*image.shape, rng)] if len(corners)]
    if not rows:
        raise ValueError(f"no training image has both sides of at least {PATCH} pixels")
    table = np.concatenate(rows)[rng.permutation(sum(len(r) for r in rows))]
    batches = [table[start:start + settings.batch] for start in range(0, len(table), settings.batch)]
    return [batch for batch in batches if len(batch) >= 2]


def assemble(images: LumaSet, batch: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Distorted patches, residual patches and targets of one batch of (image, y, x) rows."""
    d_parts, r_parts = [], []
    for index, y, x in batch:
        d, r = crops(images.dists[index], images.refs[images.ref_of[index]], np.array([[y, x]]))
        d_parts.append(d)
        r_parts.append(r)
    return torch.cat(d_parts), torch.cat(r_parts), torch.from_numpy(images.targets[batch[:, 0]])


def evaluate(model: MSFRNet, images: LumaSet, device: torch.device) -> dict:
    """SRCC, PLCC and PLCC after the VQEG 4-parameter logistic (iqabench.stats) of the image scores, as the
    metric computes them (mean over the inference grid, clipped to [0, 1]), against the labels; an undefined
    figure is None."""
    was_training = model.training
    model.eval()
    pairs = [(d, images.refs[images.ref_of[i]]) for i, d in enumerate(images.dists)]
    scores = np.clip(np.array(score_pairs(model, pairs, device)), 0.0, 1.0)
    model.train(was_training)
    return {"images": len(scores),
            **correlations(scores, images.targets, ("srcc", "plcc", "plcc_logistic"), undefined=None)}


class BatchEpochs(Recipe):
    """msfr's epochs: every training image's patches, in batches of a seeded order (:func:`epoch_batches`),
    one SGD step each; each epoch, and a run stopped by time in the middle of one, is evaluated on the test
    images."""

    def __init__(self, settings: TrainSettings, model: MSFRNet, optimizer, training: LumaSet, held_out: LumaSet,
                 data_manifest: dict, device, out: Path, state: dict, history: list, **clock) -> None:
        super().__init__(checkpoint.KIND, out, settings, state, history, **clock)
        self.model, self.optimizer, self.training, self.held_out = model, optimizer, training, held_out
        self.data_manifest, self.device = data_manifest, device
        model.train()

    def batches(self, epoch: int):
        batches = epoch_batches(self.training, epoch, self.settings)
        self.state["epoch_batches"] = len(batches)
        while self.state["batch"] < len(batches):
            yield batches[self.state["batch"]]

    def step(self, batch: np.ndarray) -> None:
        d, r, targets = assemble(self.training, batch)
        loss = torch.nn.functional.mse_loss(self.model(as_input(d, self.device), as_input(r, self.device)),
                                            targets.to(self.device))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        state = self.state
        state["steps"] += 1
        state["batch"] += 1
        state["patches"] += len(targets)
        state["loss"] = float(loss.item())
        state["epoch_loss"] = state.get("epoch_loss", 0.0) + state["loss"]

    def end(self, epoch: int) -> dict:
        state = self.state
        figures = {"epoch": epoch + 1, "steps": state["steps"], "patches": state["patches"],
                   "loss": round(state["epoch_loss"] / state["epoch_batches"], 6),
                   "seconds": round(state["seconds"], 1), **evaluate(self.model, self.held_out, self.device)}
        del state["epoch_loss"]
        state["epoch"] += 1
        state["batch"] = 0
        return figures

    def stopped(self) -> dict:
        """The figures of the weights that are saved, flagged as mid-epoch; its loss is the last batch's."""
        state = self.state
        return {"epoch": state["epoch"] + 1, "partial": True, "batch": state["batch"], "steps": state["steps"],
                "patches": state["patches"], "loss": round(state["loss"], 6), "seconds": round(state["seconds"], 1),
                **evaluate(self.model, self.held_out, self.device)}

    def payload(self) -> dict:
        return {"config": {"settings": plain_settings(self.settings), "patch": PATCH, "luma": "BT.601"},
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "progress": dict(self.state), "data": self.data_manifest, "history": self.history}


def train(settings: TrainSettings, data: Path, out: Path, *, minutes: float | None = None,
          save_minutes: float = 5.0, device: torch.device | None = None, restart: bool = False,
          progress=None, hash_images: bool = True, init: Path | None = None) -> dict:
    """Train (or resume) and return the last checkpoint's payload. ``minutes`` stops cleanly, saving,
    once that much time has passed; ``progress(state, settings)`` is called after every step."""
    if settings.variant not in VARIANTS:
        raise ValueError(f"unknown variant {settings.variant!r}; choose one of {', '.join(VARIANTS)}")
    if settings.batch < 2:
        raise ValueError("batch must be at least 2 (batch normalisation)")
    device = training_device(device)
    labels = label_file(data)
    root = labels.parent
    rows, how = read_rows(labels, settings.seed, settings.test_share)
    data_manifest = manifest(root, labels, rows, how, hash_images)
    torch.manual_seed(settings.seed)
    model = on_device(MSFRNet(settings.variant), device)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.learning_rate, momentum=settings.momentum,
                                weight_decay=settings.weight_decay)
    training = load_split(root, rows, "train", settings.mos_range)
    held_out = load_split(root, rows, "test", settings.mos_range)
    saved = resumable(checkpoint.KIND, out, restart)
    if saved is not None:
        refuse_other_settings(out, saved["config"]["settings"], plain_settings(settings), ("epochs",), "--epochs")
        if saved["data"]["labels"]["sha256"] != data_manifest["labels"]["sha256"]:
            raise ValueError(f"{out} was trained on another label file (sha256 {saved['data']['labels']['sha256']}, "
                             f"now {data_manifest['labels']['sha256']}); pass --restart to start over")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        if "init" in saved["data"]:
            data_manifest["init"] = saved["data"]["init"]
    elif init is not None:
        data_manifest["init"] = start_from(model, init, settings.variant)
    else:
        model.start_output_at(float(training.targets.mean()))
    state, history = resumed_progress(saved, {"epoch": 0, "batch": 0, "steps": 0, "patches": 0, "seconds": 0.0,
                                              "resumes": 0})
    recipe = BatchEpochs(settings, model, optimizer, training, held_out, data_manifest, device, out, state, history,
                         minutes=minutes, save_minutes=save_minutes)
    train_epochs(recipe, progress=progress)
    return recipe.payload()


def start_from(model: MSFRNet, init: Path, variant: str) -> dict:
    """Load ``init``'s weights into ``model`` (same variant); its name and sha256."""
    from iqabench.hashing import file_sha256

    payload = checkpoint.load(init)
    if payload["config"]["settings"]["variant"] != variant:
        raise ValueError(f"{init} holds the {payload['config']['settings']['variant']!r} variant, not {variant!r}")
    model.load_state_dict(checkpoint.model_state(payload["model"]))
    return {"checkpoint": Path(init).name, "sha256": file_sha256(init)}


__all__ = ["BatchEpochs", "TrainSettings", "assemble", "epoch_batches", "evaluate", "start_from", "train"]
