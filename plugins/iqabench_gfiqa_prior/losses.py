"""The objective of §IV-C, Eqs. 6–11.

* Eq. 6, L2: ‖x − x̂‖² (mean over pixels), x and x̂ in [-1, 1];
* Eq. 7, LPIPS: the VGG16 perceptual distance between x and x̂ (:mod:`.lpips`);
* Eq. 8, identity: 1 − ⟨R(x̂), R(x)⟩ with R ArcFace's normalised embedding of the face crop (:mod:`.arcface`);
  R(x) is a constant target (no gradient), as in pSp;
* Eq. 9, latent regularisation: ‖E(x)‖₂, the norm of the code offsets from w̄ (pSp's w-norm), mean over images;
* Eq. 10, quality: (q̂ − q)² (``quality_loss="l2"``) or |q̂ − q| (``"l1"``) against the MOS;
* Eq. 11: the weighted sum.

x̂ is the reconstruction with all the codes (Eqs. 2–3); the quality features come from x̂_K (Eq. 4). The
paper's weights are lost from the text we have; the defaults are pSp's for FFHQ inversion (λ_L2 = 1,
λ_LPIPS = 0.8, λ_ID = 0.1, λ_reg = 0.005) and λ_q = 1. The ``baseline`` variant (Table III/V's ResNet50) is
trained with L_q alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch.nn import functional as F

from .arcface import crop_face


@dataclass(frozen=True)
class LossWeights:
    l2: float = 1.0
    lpips: float = 0.8
    identity: float = 0.1
    regularisation: float = 0.005
    quality: float = 1.0
    quality_loss: str = "l2"

    def __post_init__(self) -> None:
        if self.quality_loss not in ("l1", "l2"):
            raise ValueError(f"quality_loss {self.quality_loss!r}: l1 or l2")

    def to_dict(self) -> dict:
        return asdict(self)


def identity_loss(arcface, reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 8."""
    with torch.no_grad():
        wanted = arcface(crop_face(target))
    return (1 - (arcface(crop_face(reconstruction)) * wanted).sum(1)).mean()


def quality_loss(predicted: torch.Tensor, mos: torch.Tensor, kind: str = "l2") -> torch.Tensor:
    """Eq. 10."""
    return F.mse_loss(predicted, mos) if kind == "l2" else F.l1_loss(predicted, mos)


def objective(out: dict, images: torch.Tensor, mos: torch.Tensor, weights: LossWeights, lpips=None,
              arcface=None) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. 11 for one batch: ``out`` from :meth:`.model.GfiqaPrior.forward` (with ``reconstruct=True`` unless
    the model has no generator), ``images`` in [0, 1]. Returns the total and each term's value."""
    terms = {"quality": quality_loss(out["score"], mos, weights.quality_loss)}
    factors = {"quality": weights.quality}
    if "reconstruction" in out:
        x, x_hat = images * 2 - 1, out["reconstruction"]
        terms["l2"] = F.mse_loss(x_hat, x)
        factors["l2"] = weights.l2
        if lpips is not None and weights.lpips:
            terms["lpips"] = lpips(x_hat, x).mean()
            factors["lpips"] = weights.lpips
        if arcface is not None and weights.identity:
            terms["identity"] = identity_loss(arcface, x_hat, x)
            factors["identity"] = weights.identity
        terms["regularisation"] = out["offsets"].flatten(1).norm(dim=1).mean()
        factors["regularisation"] = weights.regularisation
    total = sum(factors[name] * value for name, value in terms.items())
    return total, {"total": float(total.detach()), **{name: float(value.detach()) for name, value in terms.items()}}


__all__ = ["LossWeights", "identity_loss", "objective", "quality_loss"]
