"""The ``gada`` metric (no-reference, higher is better): the discriminator's trunk and evaluator from a
trained checkpoint (:mod:`.checkpoint`), scoring an image by the test protocol of §4.2: the mean of the
evaluator over 30 random crops, drawn with a fixed seed so that an image always gets the same score.
``gada-direct`` is the same with the checkpoint of the paper's direct baseline (§4.3): no generative
augmentation, so the two can be compared on the same images (paired)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Sequence

import numpy as np

from iqabench import weights
from iqabench.metric import Availability, Metric

from . import checkpoint

if TYPE_CHECKING:
    import torch

#: test protocol, §4.2: 30 random crops per image, averaged.
CROPS = 30
SEED = 0


class Gada(Metric):
    """Quality predicted by GADA's evaluator (Bongini et al. 2019), on about [0, 1]."""

    name: ClassVar[str] = "gada"
    kind = "NR"
    lower_better = False
    channels = 3
    batch_size = 8
    #: the shipped checkpoint's crop; a smaller image is a per-image failure.
    min_size = 64
    version = "1"
    description = "GADA (Bongini et al. 2019): AC-GAN data augmentation, evaluator over 30 random crops"
    #: a checkpoint of the user's own (``iqabench train gada --out gada.pt``) in the weights folder wins.
    user_checkpoint: ClassVar[tuple[str, str]] = ("gada.pt", "gada")
    shipped: ClassVar[Path] = checkpoint.SHIPPED

    def __init__(self) -> None:
        super().__init__()
        self._model = None
        self._crop = self.min_size
        self._device = None

    @classmethod
    def checkpoint_path(cls) -> Path:
        return weights.find(*cls.user_checkpoint) or cls.shipped

    def config(self) -> dict:
        return {**super().config(), "crops": CROPS, "seed": SEED}

    def weight_files(self) -> dict[str, Path]:
        return {"checkpoint": self.checkpoint_path()}

    def availability(self) -> Availability:
        """Present when the checkpoint is here with the sha256 its manifest pins (the shipped one is); never downloads."""
        return checkpoint.KIND.availability(self.checkpoint_path())

    def load(self, device: "torch.device") -> None:
        self.load_payload(checkpoint.KIND.load_pinned(self.checkpoint_path()), device)
        self.weights = dict(self.identity().weights or {})

    def load_payload(self, payload: dict, device: "torch.device") -> None:
        """Score with the trunk and evaluator of a checkpoint already read (cross-validation's fold checkpoints)."""
        from .model import Evaluator, inference_state

        settings = payload["config"]["settings"]
        model = Evaluator(settings["width"])
        model.load_state_dict({name: value.float() for name, value in inference_state(payload["discriminator"]).items()})
        self._model = model.to(device).eval()
        self._crop = int(settings["crop"])
        self._device = device

    @property
    def crop(self) -> int:
        """The crop size of the loaded checkpoint."""
        return self._crop

    def score_pixels(self, pixels: np.ndarray) -> float:
        """The score of one RGB uint8 (H, W, 3) image."""
        from .train import crop_scores

        return crop_scores(self._model, pixels, self._crop, CROPS, SEED, self._device)

    def score_batch(self, images: Sequence["torch.Tensor"], refs=None) -> Sequence[float]:
        return [self.score_pixels(np.ascontiguousarray(
            (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy())) for image in images]


class GadaDirect(Gada):
    name = "gada-direct"
    description = "GADA's direct baseline (Bongini et al. 2019, §4.3): the same network without generative augmentation"
    user_checkpoint = ("gada-direct.pt", "gada")
    shipped = checkpoint.SHIPPED_DIRECT


METRICS = (Gada, GadaDirect)

__all__ = ["CROPS", "Gada", "GadaDirect", "METRICS", "SEED"]
