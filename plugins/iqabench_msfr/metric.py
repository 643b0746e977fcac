"""The ``msfr`` metric: a trained checkpoint (:mod:`.checkpoint`) scoring a distorted image against its
reference (:mod:`.inference`).

- kind FR, higher is better, scores on [0, 1]: the network regresses labels mapped to [0, 1] by the
  trainer (:mod:`.data`), and the image's mean over its patches is clipped to that range. The shipped
  checkpoint's scale is the synthetic set's pseudo-quality (its manifest says how that was made).
- RGB in, converted to BT.601 luma (:mod:`.patches`); the patches are 128×128 on a stride of 128 with a
  last row and column flush with the edges (:func:`.patches.inference_grid`).
- An image with a side under 128 pixels is refused before decoding (``min_size``): a per-image failure
  whose reason names the size, never a padded guess. A reference of another size is a per-image failure.
- A checkpoint of the user's own (``iqabench train msfr --out msfr.pt``) in ``$IQABENCH_WEIGHTS_DIR``
  (or its ``msfr/`` folder) is used instead of the shipped one; scores are keyed by its sha256.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Sequence

from iqabench import weights
from iqabench.metric import Availability, Metric

from . import checkpoint

if TYPE_CHECKING:
    import torch

#: a checkpoint of the user's own in the weights folder wins over the shipped one.
USER_CHECKPOINT = ("msfr.pt", "msfr")
PATCH = 128


class MSFR(Metric):
    """Zhou & Chen's multi-scale full-reference network: quality of a distorted image in [0, 1], higher better."""

    name: ClassVar[str] = "msfr"
    kind = "FR"
    lower_better = False
    score_range = (0.0, 1.0)
    channels = 3
    batch_size = 4
    min_size = PATCH
    version = "1"
    description = "multi-scale full-reference network (Zhou & Chen): luma and residual streams, 128-px patches"

    def __init__(self) -> None:
        super().__init__()
        self._model = None
        self._device = None

    @classmethod
    def checkpoint_path(cls) -> Path:
        return weights.find(*USER_CHECKPOINT) or checkpoint.SHIPPED

    def config(self) -> dict:
        return {**super().config(), "luma": "BT.601", "patch": PATCH, "stride": PATCH, "edges": "flush",
                "pooling": "mean", "clip": [0.0, 1.0]}

    def weight_files(self) -> dict[str, Path]:
        return {"checkpoint": self.checkpoint_path()}

    def availability(self) -> Availability:
        """Present when the checkpoint is here with the sha256 its manifest pins (the shipped one is); never
        downloads."""
        return checkpoint.KIND.availability(self.checkpoint_path())

    def load(self, device: "torch.device") -> None:
        path = self.checkpoint_path()
        payload = checkpoint.KIND.load_pinned(path)
        from .model import fused_for_inference, on_device

        self._model = on_device(fused_for_inference(checkpoint.build(payload)), device)
        self._device = device
        self.variant = payload["config"]["settings"]["variant"]

    def score_batch(self, images: Sequence["torch.Tensor"], refs: Sequence["torch.Tensor"] | None = None) -> Sequence[float]:
        from .inference import score_pairs
        from .patches import luma

        if refs is None or len(refs) != len(images):
            raise ValueError("msfr is a full-reference metric: every image needs its reference image")
        pairs = [(luma(image.cpu()), luma(ref.cpu())) for image, ref in zip(images, refs)]
        return [min(1.0, max(0.0, score)) for score in score_pairs(self._model, pairs, self._device)]


__all__ = ["MSFR", "USER_CHECKPOINT"]
