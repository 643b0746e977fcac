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

A run saves ``--out`` every ``save_minutes``, after every epoch and when ``minutes`` run out, and resumes
from it: an epoch's patch order is a function of (seed, epoch), so a resumed run skips the batches done
and continues the same sequence. The settings must match to resume (``epochs`` may change), and so must
the label file's sha256.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from iqabench_training.checkpoints import SaveClock

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
    metric computes them (mean over the inference grid, clipped to [0, 1]), against the labels."""
    from iqabench.stats import plcc, plcc_logistic, srcc

    was_training = model.training
    model.eval()
    pairs = [(d, images.refs[images.ref_of[i]]) for i, d in enumerate(images.dists)]
    scores = np.clip(np.array(score_pairs(model, pairs, device)), 0.0, 1.0)
    model.train(was_training)
    figures = {"images": len(scores)}
    for name, statistic in (("srcc", srcc), ("plcc", plcc), ("plcc_logistic", plcc_logistic)):
        value = float(statistic(scores, images.targets.astype(np.float64)))
        figures[name] = round(value, 4) if math.isfinite(value) else None
    return figures


def train(settings: TrainSettings, data: Path, out: Path, *, minutes: float | None = None,
          save_minutes: float = 5.0, device: torch.device | None = None, restart: bool = False,
          progress=None, hash_images: bool = True) -> dict:
    """Train (or resume) and return the last checkpoint's payload. ``minutes`` stops cleanly, saving,
    once that much time has passed; ``progress(state, settings)`` is called after every step."""
    if settings.variant not in VARIANTS:
        raise ValueError(f"unknown variant {settings.variant!r}; choose one of {', '.join(VARIANTS)}")
    if settings.batch < 2:
        raise ValueError("batch must be at least 2 (batch normalisation)")
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    labels = label_file(data)
    root = labels.parent
    rows, how = read_rows(labels, settings.seed, settings.test_share)
    data_manifest = manifest(root, labels, rows, how, hash_images)
    torch.manual_seed(settings.seed)
    model = on_device(MSFRNet(settings.variant), device)
    optimizer = torch.optim.SGD(model.parameters(), lr=settings.learning_rate, momentum=settings.momentum,
                                weight_decay=settings.weight_decay)
    state = {"epoch": 0, "batch": 0, "steps": 0, "patches": 0, "seconds": 0.0, "resumes": 0}
    history: list[dict] = []
    training = load_split(root, rows, "train", settings.mos_range)
    held_out = load_split(root, rows, "test", settings.mos_range)
    if out.is_file() and not restart:
        saved = checkpoint.load(out)
        if _trajectory(saved["config"]["settings"]) != _trajectory(_plain(settings)):
            raise ValueError(f"{out} was trained with other settings; pass --restart to start over, or the same "
                             f"settings (only --epochs may change) to resume:\n  saved: {saved['config']['settings']}"
                             f"\n  now:   {_plain(settings)}")
        if saved["data"]["labels"]["sha256"] != data_manifest["labels"]["sha256"]:
            raise ValueError(f"{out} was trained on another label file (sha256 {saved['data']['labels']['sha256']}, "
                             f"now {data_manifest['labels']['sha256']}); pass --restart to start over")
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state, history = dict(saved["progress"]), list(saved["history"])
        state["resumes"] += 1
    else:
        model.start_output_at(float(training.targets.mean()))

    def payload() -> dict:
        return {"config": {"settings": _plain(settings), "patch": PATCH, "luma": "BT.601"},
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "progress": dict(state),
                "data": data_manifest, "history": history}

    clock = SaveClock(minutes, save_minutes)
    seconds_before = state["seconds"]
    model.train()
    batches = epoch_batches(training, state["epoch"], settings) if state["epoch"] < settings.epochs else []
    state["epoch_batches"] = len(batches)
    while state["epoch"] < settings.epochs:
        d, r, targets = assemble(training, batches[state["batch"]])
        loss = torch.nn.functional.mse_loss(model(as_input(d, device), as_input(r, device)), targets.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        state["steps"] += 1
        state["batch"] += 1
        state["patches"] += len(targets)
        state["seconds"] = seconds_before + clock.elapsed()
        state["loss"] = float(loss.item())
        state["epoch_loss"] = state.get("epoch_loss", 0.0) + state["loss"]
        epoch_done = state["batch"] >= len(batches)
        if epoch_done:
            figures = {"epoch": state["epoch"] + 1, "steps": state["steps"], "patches": state["patches"],
                       "loss": round(state.pop("epoch_loss") / len(batches), 6),
                       "seconds": round(state["seconds"], 1), **evaluate(model, held_out, device)}
            history.append(figures)
            state["epoch"] += 1
            state["batch"] = 0
            if state["epoch"] < settings.epochs:
                batches = epoch_batches(training, state["epoch"], settings)
                state["epoch_batches"] = len(batches)
        out_of_time = clock.out_of_time()
        if out_of_time and not epoch_done:  # the figures of the weights that are saved, flagged as mid-epoch
            history.append({"epoch": state["epoch"] + 1, "partial": True, "batch": state["batch"],
                            "steps": state["steps"], "patches": state["patches"], "loss": round(state["loss"], 6),
                            "seconds": round(state["seconds"], 1), **evaluate(model, held_out, device)})
        if clock.due(epoch_done, out_of_time):
            checkpoint.save(out, payload())
        if progress is not None:
            progress(state, settings)
        if out_of_time:
            break
    return payload()


def _plain(settings: TrainSettings) -> dict:
    plain = asdict(settings)
    plain["mos_range"] = list(plain["mos_range"])
    return plain


def _trajectory(plain: dict) -> dict:
    """The settings a resumed run must share; ``epochs`` may grow (or shrink) to train longer or stop sooner."""
    return {key: value for key, value in plain.items() if key != "epochs"}


__all__ = ["TrainSettings", "assemble", "epoch_batches", "evaluate", "train"]
