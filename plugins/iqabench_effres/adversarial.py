"""Adversarial augmentations (supplement §1 and Table 1, "Adversarial noise parameters").

Both attacks raise the training loss of a batch on the [0, 255] scale, never start at random, keep the
noise in the L∞ ball of radius 10 and the image in [0, 255]:

* :func:`pgd_l2` — the paper's recipe: 10 steps, each of L2 length 30 (15 for 128-pixel patches) along
  the per-patch normalised gradient, projected after each step.
* :func:`fgsm` — one signed-gradient step of L∞ size 0.5: the supplement's Table 3 row "FGSM 1 L∞ = 0.5
  step" ("10 times larger" than its 10 × 0.05 L∞ PGD), "only slightly worse ... but speeds up the
  training tremendously". Offered for CPU training; not the paper's default.
"""

from __future__ import annotations

from typing import Callable

import torch

LINF_RADIUS = 10.0
PGD_STEPS = 10
FGSM_STEP = 0.5


def _loss_gradient(loss_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor) -> torch.Tensor:
    images = images.detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(loss_fn(images), images)
    return gradient


def _project(clean: torch.Tensor, perturbed: torch.Tensor, radius: float) -> torch.Tensor:
    noise = (perturbed - clean).clamp(-radius, radius)
    return (clean + noise).clamp(0.0, 255.0)


def pgd_l2(loss_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, step: float,
           steps: int = PGD_STEPS, radius: float = LINF_RADIUS) -> torch.Tensor:
    """``steps`` L2 steps of length ``step`` (per patch) up the gradient of ``loss_fn``, each followed by
    the projection to the L∞ ball of ``radius`` around ``images`` and to [0, 255]."""
    clean = images.detach()
    adversarial = clean.clone()
    for _ in range(steps):
        gradient = _loss_gradient(loss_fn, adversarial)
        norms = gradient.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        adversarial = _project(clean, adversarial + step * gradient / norms, radius)
    return adversarial.detach()


def fgsm(loss_fn: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor, step: float = FGSM_STEP,
         radius: float = LINF_RADIUS) -> torch.Tensor:
    """One step of ``step`` along the sign of the gradient, then the same projection as :func:`pgd_l2`."""
    clean = images.detach()
    return _project(clean, clean + step * _loss_gradient(loss_fn, clean).sign(), radius).detach()


__all__ = ["FGSM_STEP", "LINF_RADIUS", "PGD_STEPS", "fgsm", "pgd_l2"]
