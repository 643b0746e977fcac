"""The ``effres`` metrics: a trained checkpoint (:mod:`.checkpoint`) scoring faces (:mod:`.inference`)
with one of the face masks (:mod:`.masks`), through the checkpoint's calibration when it holds one
(:mod:`.calibration`). The mask is part of the identity: scores made with
different masks are stored apart."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Sequence

import numpy as np

from iqabench import weights
from iqabench.metric import Availability, Metric

from . import checkpoint
from .calibration import Calibration
from .patches import COARSE_STEP, COARSE_WINDOW, MIN_FOREGROUND, PATCHES, REPLICATION_MIN_PIXELS

if TYPE_CHECKING:
    import torch

#: a checkpoint of the user's own (``iqabench train effres --out``) in the weights folder wins.
USER_CHECKPOINT = ("effres.pt", "effres")


class EffRes(Metric):
    """Effective resolution of a face in [0, 1] (Kansy et al.): 1 is as sharp as the pixels allow."""

    name: ClassVar[str] = "effres"
    kind = "NR"
    lower_better = False
    score_range = (0.0, 1.0)
    channels = 3
    batch_size = 4
    #: the shipped checkpoint's patch; a smaller image is a per-image failure.
    min_size = 128
    #: 2: coarse faces read again at half size; 3: at smaller scales, the median of the estimates in the
    #: reading window; 4: bounded by the share of rows and columns not replicated (:func:`.inference.read_face`).
    version = "4"
    mask_name: ClassVar[str] = "mediapipe"
    description = "effective resolution of faces (Kansy et al.), mediapipe face mask"

    def __init__(self) -> None:
        super().__init__()
        self._model = None
        self._masker = None
        self._patch = 128
        self._device = None
        self._calibration = None

    @classmethod
    def checkpoint_path(cls) -> Path:
        return weights.find(*USER_CHECKPOINT) or checkpoint.SHIPPED

    def config(self) -> dict:
        return {**super().config(), "mask": self.mask_name, "patches": PATCHES, "min_foreground": MIN_FOREGROUND,
                "coarse_window": list(COARSE_WINDOW), "coarse_step": COARSE_STEP,
                "replication_min_pixels": REPLICATION_MIN_PIXELS}

    def weight_files(self) -> dict[str, Path] | None:
        files = {"checkpoint": self.checkpoint_path()}
        if self.mask_name == "bisenet":
            from .bisenet import weight_file

            found = weight_file()
            if found is None:
                return None
            files["mask"] = found
        return files

    def availability(self) -> Availability:
        """Present when the checkpoint is here with the sha256 its manifest pins (the shipped one is) and the
        mask can run; never downloads."""
        found = checkpoint.KIND.availability(self.checkpoint_path())
        if not found.ok:
            return found
        from .masks import mask_availability

        mask = mask_availability(self.mask_name)
        return found if mask.ok else mask

    def load(self, device: "torch.device") -> None:
        import torch

        from .masks import masker
        from .model import network_of

        payload = checkpoint.KIND.load_pinned(self.checkpoint_path())
        self._model = network_of(payload).to(device, memory_format=torch.channels_last).eval()
        self._patch = int(payload["config"]["settings"]["patch"])
        self._device = device
        self._masker = masker(self.mask_name)
        self._calibration = Calibration.from_dict(payload["calibration"]) if "calibration" in payload else None
        self.weights = {name: value for name, value in (self.identity().weights or {}).items()}

    @property
    def patch(self) -> int:
        """The patch size of the loaded checkpoint."""
        return self._patch

    @property
    def calibration(self) -> Calibration | None:
        """The loaded checkpoint's calibration (None: scores are the network's own)."""
        return self._calibration

    def calibrated(self, raw: float) -> float:
        """A raw face score through the checkpoint's calibration (unchanged without one)."""
        return raw if self._calibration is None else self._calibration(raw)

    def face_score(self, pixels: np.ndarray):
        """The network's result for one RGB uint8 image (raw score, patches, their scores), before calibration:
        :class:`.inference.FaceScore` of :func:`.inference.read_face`."""
        from .inference import read_face

        return read_face(self._model, pixels, self._masker.mask(pixels), self._patch, self._device)

    def score_batch(self, images: Sequence["torch.Tensor"], refs=None) -> Sequence[float]:
        return [self.calibrated(self.face_score(np.ascontiguousarray(
            (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).cpu().numpy())).score) for image in images]


class EffResNoMask(EffRes):
    name = "effres-nomask"
    mask_name = "none"
    description = "effective resolution (Kansy et al.) over every patch, no face mask"


class EffResBiSeNet(EffRes):
    name = "effres-bisenet"
    mask_name = "bisenet"
    description = "effective resolution (Kansy et al.), the paper's BiSeNet face parsing mask (facexlib weights)"


METRICS = (EffRes, EffResNoMask, EffResBiSeNet)

__all__ = ["EffRes", "EffResBiSeNet", "EffResNoMask", "METRICS"]
