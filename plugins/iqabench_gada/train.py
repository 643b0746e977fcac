"""The GADA training recipe: three phases (§3.1) with the losses of §3.2 and the settings of §4.2.

Losses, per minibatch (the expectations of Eqs. 1–3 are minibatch means, §3.2):

* L_S (Eq. 1), real or fake: binary cross-entropy of the source head's sigmoid. The discriminator
  maximises L_S + L_C; the generator minimises L_C − L_S, written in its usual non-saturating form
  (the generator's fakes labelled real; Goodfellow et al., the paper's ref. [4]).
* L_C (Eq. 2): cross-entropy of the classifier's softmax against the distortion class, on real and on
  generated images.
* L_L1 = E‖y − G(z, x, c, q)‖₁ (§3.2): the generator's reconstruction of the real distorted image y of
  reference x, weighted by ``l1_weight`` (100, as in pix2pix, the paper's ref. [5]; the paper gives no weight).
* L_E (Eq. 3): the evaluator's mean squared error against the quality label.

Phases (§3.1, §4.2; the learning rates divided by ``later_divisor`` = 10 in phases 2 and 3):

1. **AC-GAN.** Generator, discriminator trunk and all three heads train. The discriminator step minimises
   −L_S − L_C + L_E over real distorted images and the generator's images of the same (x, c, q) (detached);
   "the regressor ... is trained with both generated and real distorted images". The generator step
   minimises −L_S + L_C + l1_weight · L_L1 (Eq. 1, 2 and §3.2; no evaluator term: the paper names none).
2. **Generative augmentation.** The generator is frozen (``requires_grad`` off, eval mode); the discriminator
   and its heads go on with the phase-1 discriminator loss over real images and as many generated ones,
   each made from a random reference with the class and quality of another random row, i.e. distorted
   images with no ground truth (§3.1 step 2).
3. **Fine-tuning.** Only real labelled images, only L_E; the trunk and the evaluator train (the path used at
   test time, §4.2), the generator, source head and classifier are frozen.

``augment=False`` is the paper's *direct* baseline (§4.3, Table 1): no generator and no L_S; phases 1 and 2
train the trunk, classifier and evaluator on the real labelled pairs only (L_C + L_E), for the same steps
and rates; phase 3 is the same fine-tuning.

Optimisers: Adam; 1e-4 for the discriminator (trunk and source head) and 5e-4 for the generator,
classifier and evaluator (§4.2); β = (0.5, 0.999) as in pix2pix (the paper gives none). What the paper
leaves open and is chosen here: the length of each phase is a number of optimizer steps (the paper trains
to convergence, in epochs over LIVE); each step draws ``batch`` random crops. Training
(:mod:`iqabench_training.loop`) saves after every phase, every ``save_minutes``, when ``minutes`` run out and
when interrupted, and resumes from ``--out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from iqabench_training.loop import Recipe, train_epochs, training_device
from iqabench_training.resume import plain_settings, refuse_other_settings, resumable, resumed_progress
from iqabench_training.validation import correlations

from . import checkpoint
from .data import FullReferenceSet, LabelledSet, to_tensor
from .model import EMBEDDING, NOISE, Discriminator, Generator

PHASES = (1, 2, 3)
#: what trains in each phase: the generator and the discriminator's parts (the rest is frozen).
TRAINABLE = {
    (1, True): ("generator", "trunk", "source", "classifier", "evaluator"),
    (2, True): ("trunk", "source", "classifier", "evaluator"),
    (1, False): ("trunk", "classifier", "evaluator"),
    (2, False): ("trunk", "classifier", "evaluator"),
    (3, True): ("trunk", "evaluator"),
    (3, False): ("trunk", "evaluator"),
}
#: the settings a resumed run may change: train a phase longer (or stop sooner), validate with other crops.
STEP_COUNTS = ("steps1", "steps2", "steps3", "validation_crops")


@dataclass(frozen=True)
class TrainSettings:
    crop: int = 128
    batch: int = 64
    width: float = 1.0
    lr_discriminator: float = 1e-4
    lr_other: float = 5e-4
    later_divisor: float = 10.0
    l1_weight: float = 100.0
    steps1: int = 2000
    steps2: int = 1000
    steps3: int = 500
    #: False: the direct baseline (no generated images).
    augment: bool = True
    seed: int = 0
    #: crops per image when validating (the test protocol's 30, §4.2).
    validation_crops: int = 30

    def steps(self, phase: int) -> int:
        return {1: self.steps1, 2: self.steps2, 3: self.steps3}[phase]

    def learning_rates(self, phase: int) -> tuple[float, float]:
        """(discriminator, generator/classifier/evaluator) rates in ``phase`` (§4.2)."""
        scale = 1.0 if phase == 1 else 1.0 / self.later_divisor
        return self.lr_discriminator * scale, self.lr_other * scale


class Networks:
    """The generator (None in the direct baseline), the discriminator and their optimisers."""

    def __init__(self, settings: TrainSettings, classes: int, device: torch.device) -> None:
        self.settings = settings
        self.generator = Generator(classes, settings.width).to(device) if settings.augment else None
        self.discriminator = Discriminator(classes, settings.width).to(device)
        d = self.discriminator
        self.d_optimizer = torch.optim.Adam([
            {"params": list(d.trunk.parameters()) + list(d.source.parameters()), "name": "discriminator"},
            {"params": list(d.classifier.parameters()) + list(d.evaluator.parameters()), "name": "heads"},
        ], lr=settings.lr_discriminator, betas=(0.5, 0.999))
        self.g_optimizer = (torch.optim.Adam(self.generator.parameters(), lr=settings.lr_other, betas=(0.5, 0.999))
                            if self.generator is not None else None)

    def parts(self) -> dict[str, torch.nn.Module]:
        d = self.discriminator
        parts = {"trunk": d.trunk, "source": d.source, "classifier": d.classifier, "evaluator": d.evaluator}
        if self.generator is not None:
            parts["generator"] = self.generator
        return parts

    def enter(self, phase: int) -> None:
        """Freeze and unfreeze as ``phase`` asks (:data:`TRAINABLE`) and set its learning rates."""
        trainable = TRAINABLE[(phase, self.settings.augment)]
        for name, part in self.parts().items():
            part.requires_grad_(name in trainable)
            part.train(name in trainable)
        d_rate, other_rate = self.settings.learning_rates(phase)
        for group in self.d_optimizer.param_groups:
            group["lr"] = d_rate if group["name"] == "discriminator" else other_rate
        if self.g_optimizer is not None:
            for group in self.g_optimizer.param_groups:
                group["lr"] = other_rate

    def state(self) -> dict:
        state = {"discriminator": self.discriminator.state_dict(),
                 "optimizer": {"discriminator": self.d_optimizer.state_dict()}}
        if self.generator is not None:
            state["generator"] = self.generator.state_dict()
            state["optimizer"]["generator"] = self.g_optimizer.state_dict()
        return state

    def load(self, saved: dict) -> None:
        self.discriminator.load_state_dict(saved["discriminator"])
        self.d_optimizer.load_state_dict(saved["optimizer"]["discriminator"])
        if self.generator is not None:
            self.generator.load_state_dict(saved["generator"])
            self.g_optimizer.load_state_dict(saved["optimizer"]["generator"])


def source_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """−(one term of L_S), Eq. 1: binary cross-entropy of the source head against real (1) or fake (0)."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))


def discriminator_loss(d: Discriminator, real: torch.Tensor, classes: torch.Tensor, quality: torch.Tensor,
                       fake: torch.Tensor | None = None, fake_classes=None, fake_quality=None) -> dict:
    """The discriminator's loss, −L_S − L_C + L_E (Eqs. 1–3), over real images and, when given, generated ones.
    Without ``fake`` (the direct baseline) it is L_C + L_E on the real images and the source head is unused."""
    terms = {}
    if fake is None:
        _, class_logits, predicted = d(real)
        terms["class"] = F.cross_entropy(class_logits, classes)
        terms["quality"] = F.mse_loss(predicted, quality)
    else:
        # one forward pass over both, so that batch normalisation sees one batch and its statistics cannot
        # tell real from fake
        n = len(real)
        source, class_logits, predicted = d(torch.cat([real, fake]))
        terms["source"] = source_loss(source[:n], True) + source_loss(source[n:], False)
        terms["class"] = F.cross_entropy(class_logits[:n], classes) + F.cross_entropy(class_logits[n:], fake_classes)
        terms["quality"] = F.mse_loss(predicted[:n], quality) + F.mse_loss(predicted[n:], fake_quality)
    terms["total"] = sum(terms.values())
    return terms


def generator_loss(d: Discriminator, fake: torch.Tensor, target: torch.Tensor, classes: torch.Tensor,
                   l1_weight: float) -> dict:
    """The generator's loss, −L_S + L_C + l1_weight · L_L1 (Eqs. 1, 2 and §3.2), on its images of (x, c, q)."""
    source, class_logits, _ = d(fake)
    terms = {"adversarial": source_loss(source, True), "class": F.cross_entropy(class_logits, classes),
             "l1": F.l1_loss(fake, target)}
    terms["total"] = terms["adversarial"] + terms["class"] + l1_weight * terms["l1"]
    return terms


def step(networks: Networks, phase: int, rng: np.random.Generator, full_reference: FullReferenceSet | None,
         labelled: LabelledSet | None, device: torch.device) -> dict[str, float]:
    """One optimizer step of ``phase`` (the networks already :meth:`Networks.enter`-ed it); returns the losses."""
    s = networks.settings
    d, g = networks.discriminator, networks.generator
    losses: dict[str, float] = {}
    if phase == 3:
        images, quality = (t.to(device) for t in labelled.draw(rng, s.batch, s.crop))
        loss = F.mse_loss(d.quality(images), quality)
        networks.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        networks.d_optimizer.step()
        return {"quality": loss.item()}
    refs, dists, classes, quality = (t.to(device) for t in full_reference.draw_pairs(rng, s.batch, s.crop))
    if g is None:  # the direct baseline
        terms = discriminator_loss(d, dists, classes, quality)
    elif phase == 1:
        fake = g(refs, classes, quality)
        terms = discriminator_loss(d, dists, classes, quality, fake.detach(), classes, quality)
    else:
        generated, fake_classes, fake_quality = (t.to(device) for t in full_reference.draw_conditions(rng, s.batch, s.crop))
        with torch.no_grad():
            fake = g(generated, fake_classes, fake_quality)
        terms = discriminator_loss(d, dists, classes, quality, fake, fake_classes, fake_quality)
    networks.d_optimizer.zero_grad(set_to_none=True)
    terms["total"].backward()
    networks.d_optimizer.step()
    losses.update({f"d_{name}": value.item() for name, value in terms.items()})
    if g is not None and phase == 1:
        g_terms = generator_loss(d, fake, dists, classes, s.l1_weight)
        parameters = [p for p in g.parameters() if p.requires_grad]
        gradients = torch.autograd.grad(g_terms["total"], parameters)  # the discriminator gets no gradient
        networks.g_optimizer.zero_grad(set_to_none=True)
        for parameter, gradient in zip(parameters, gradients):
            parameter.grad = gradient
        networks.g_optimizer.step()
        losses.update({f"g_{name}": value.item() for name, value in g_terms.items()})
    return losses


def crop_scores(evaluate: Callable[[torch.Tensor], torch.Tensor], image: np.ndarray, crop: int, crops: int,
                seed: int = 0, device: torch.device | None = None) -> float:
    """The test protocol (§4.2): the mean of the evaluator over ``crops`` random ``crop``-pixel crops of
    ``image`` (H, W, 3 uint8), at positions drawn by ``numpy.random.default_rng(seed)`` (so one image
    always gets the same score)."""
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    if height < crop or width < crop:
        raise ValueError(f"the image ({width}×{height}) is smaller than the {crop}-pixel crop")
    corners = np.stack([rng.integers(0, height - crop + 1, crops), rng.integers(0, width - crop + 1, crops)], 1)
    batch = to_tensor([image[y:y + crop, x:x + crop] for y, x in corners])
    with torch.no_grad():
        return float(evaluate(batch.to(device) if device is not None else batch).mean())


def validate(d: Discriminator, data: LabelledSet, settings: TrainSettings, device: torch.device) -> dict:
    """SRCC and PLCC (raw) of the evaluator, by the test protocol, on held-out labelled images."""
    was_training = d.training
    d.eval()
    predicted = [crop_scores(d.quality, image, settings.crop, settings.validation_crops, device=device)
                 for image in data.images]
    d.train(was_training)
    return {"images": len(data.labels), **correlations(predicted, data.labels)}


class Phases(Recipe):
    """GADA's units are its phases (§3.1), each ``settings.steps(phase)`` optimizer steps; a phase already done
    is skipped, one stopped in its middle goes on where it stopped. A finished phase records its mean losses
    and, with held-out images, their validation figures."""

    def __init__(self, settings: TrainSettings, networks: Networks, phases: tuple, pairs, labelled, held_out,
                 manifest: dict, classes: tuple, device, out: Path, state: dict, history: list, **clock) -> None:
        super().__init__(checkpoint.KIND, out, settings, state, history, **clock)
        self.networks, self.phases, self.pairs, self.labelled = networks, phases, pairs, labelled
        self.held_out, self.manifest, self.classes, self.device = held_out, manifest, classes, device
        self.real = None

    def units(self):
        return (phase for phase in self.phases if phase not in self.state["done"])

    def batches(self, phase: int):
        settings, state = self.settings, self.state
        if state["phase"] != phase:
            state["phase"], state["step"] = phase, 0
        if phase == 3 and self.real is None:
            if self.labelled is None:
                raise ValueError("phase 3 fine-tunes on real labelled images: give them (--labelled)")
            self.real = self.labelled()
            self.manifest["labelled"] = self.real.manifest()
        self.networks.enter(phase)
        self.rng = np.random.default_rng([settings.seed, phase, state["resumes"]])
        torch.manual_seed(settings.seed * 1000 + phase * 10 + state["resumes"])
        self.totals, self.phase_steps = {}, 0
        while state["step"] < settings.steps(phase):
            yield phase

    def step(self, phase: int) -> None:
        losses = step(self.networks, phase, self.rng, self.pairs, self.real, self.device)
        self.state["step"] += 1
        self.phase_steps += 1
        self.state["losses"] = losses
        for name, value in losses.items():
            self.totals[name] = self.totals.get(name, 0.0) + value

    def end(self, phase: int) -> dict:
        figures = {"phase": phase, "augment": self.settings.augment, "steps": self.state["step"],
                   "seconds": round(self.state["seconds"], 1),
                   "mean_losses_last_run": {name: round(value / max(self.phase_steps, 1), 5)
                                            for name, value in self.totals.items()}}
        if self.held_out is not None:
            figures["validation"] = validate(self.networks.discriminator, self.held_out, self.settings, self.device)
        self.state["done"].append(phase)
        return figures

    def payload(self) -> dict:
        return {"config": {"settings": plain_settings(self.settings), "classes": list(self.classes),
                           "model": {"width": self.settings.width, "noise": NOISE, "embedding": EMBEDDING},
                           "generator": self.settings.augment},
                **self.networks.state(), "progress": dict(self.state), "data": self.manifest, "history": self.history}


def train(settings: TrainSettings, out: Path, *, phases=PHASES, full_reference: Path | None = None,
          labelled: Callable[[], LabelledSet] | None = None, validation: Callable[[], LabelledSet] | None = None,
          minutes: float | None = None, save_minutes: float = 5.0, device: torch.device | None = None,
          restart: bool = False, progress=None, data_limit: int | None = None) -> dict:
    """Run (or resume) ``phases`` in order and return the last checkpoint's payload.

    ``full_reference``: the meta-info folder of phases 1 and 2. ``labelled()`` builds the real labelled
    images of phase 3; ``validation()`` the held-out images scored after each phase. A phase already done in
    ``out`` is skipped; ``minutes`` stops cleanly, saving, once that much time has passed; an interrupt
    (Ctrl-C) saves the steps finished before it stops; ``progress(state, settings)`` is called after every
    step."""
    phases = tuple(sorted(set(phases)))
    if not phases or set(phases) - set(PHASES):
        raise ValueError(f"phases must be among {PHASES}, got {phases}")
    device = training_device(device)
    saved = resumable(checkpoint.KIND, out, restart)
    if saved is not None:
        refuse_other_settings(out, saved["config"]["settings"], plain_settings(settings), STEP_COUNTS,
                              "the step counts")
    classes = tuple(saved["config"]["classes"]) if saved else None
    manifest = dict(saved["data"]) if saved else {}
    needs_pairs = any(p in (1, 2) and p not in (saved["progress"]["done"] if saved else []) for p in phases)
    pairs = None
    if needs_pairs or classes is None:
        if full_reference is None:
            raise ValueError("phases 1 and 2 (and a new checkpoint) need the full-reference training set (--fr)")
        pairs = FullReferenceSet(full_reference, "train", classes, limit=data_limit)
        classes = pairs.classes
        manifest["full_reference"] = pairs.manifest()
    torch.manual_seed(settings.seed)
    networks = Networks(settings, len(classes), device)
    if saved is not None:
        networks.load(saved)
    state, history = resumed_progress(saved, {"phase": phases[0], "step": 0, "done": [], "seconds": 0.0,
                                              "resumes": 0})
    held_out = validation() if validation is not None else None
    recipe = Phases(settings, networks, phases, pairs, labelled, held_out, manifest, classes, device, out, state,
                    history, minutes=minutes, save_minutes=save_minutes)
    train_epochs(recipe, progress=progress)
    return recipe.payload()


__all__ = ["PHASES", "TRAINABLE", "Networks", "Phases", "TrainSettings", "crop_scores", "discriminator_loss",
           "generator_loss", "step", "train", "validate"]
