"""The ``gfiqa-prior`` metric (§IV: the quality the predictor gives, higher is better) and ``gfiqa-prior-tf``
(§VI-H: the LPIPS distance between the image and its generative reference x̂_K, lower is better), both from a
checkpoint trained with ``iqabench train gfiqa-prior`` and GFPGAN's StyleGAN2 file (the generator is not in
the checkpoint); the training-free variant also needs LPIPS's VGG16 and linear layers. It reuses the trained
checkpoint's encoder to invert the image: "training-free" in the paper's sense, no training of its own on
quality labels (an encoder trained with ``--lambda-quality 0`` has seen no MOS at all).

Without those files each metric is listed as unavailable, naming each file, where it comes from and the folder
it goes in; nothing here ever scores with random weights: a checkpoint made by a test from random weights is
refused. Images: the central square, resized to 512 px (GFIQA-20k's faces are 512-px squares, aligned by the
eyes; other faces should be cropped and aligned alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Sequence

from iqabench import weights
from iqabench.errors import WeightsError
from iqabench.metric import Availability, Metric

from . import checkpoint, files

if TYPE_CHECKING:
    import torch

TRAIN_HINT = ("train one with `iqabench train gfiqa-prior --root <GFIQA-20k folder>` (docs/models/"
              "gfiqa-prior.md) and put it in $IQABENCH_WEIGHTS_DIR/gfiqa-prior/gfiqa-prior.pt")


def checkpoint_path() -> Path | None:
    return weights.find(*checkpoint.USER_FILE)


class GfiqaPriorMetric(Metric):
    """Face image quality predicted with generative priors (Su et al., GFIQA-20k paper, §IV), about [0, 1]."""

    name: ClassVar[str] = "gfiqa-prior"
    kind = "NR"
    lower_better = False
    channels = 3
    batch_size = 4
    min_size = 32
    version = "1"
    description = "GFIQA-20k paper's generative-prior face IQA (StyleGAN2 latent references); needs pretrained files"
    #: the pretrained files scoring needs besides the checkpoint (:mod:`.files`).
    needs: ClassVar[tuple[str, ...]] = files.SCORING

    def __init__(self) -> None:
        super().__init__()
        self._model = None
        self._lpips = None
        self._device = None

    def config(self) -> dict:
        return {**super().config(), "input": "central square, 512 px"}

    def weight_files(self) -> dict[str, Path] | None:
        found = {"checkpoint": checkpoint_path(), **{key: files.ALL[key].find() for key in self.needs}}
        return None if any(path is None for path in found.values()) else found

    def availability(self) -> Availability:
        """Never loads nor downloads: the checkpoint and the pretrained files, each missing one named."""
        absent = files.missing(self.needs)
        ckpt = checkpoint_path()
        if ckpt is None:
            lines = [f"{self.name} needs a trained checkpoint, gfiqa-prior.pt: {TRAIN_HINT}"]
            if absent:
                lines.append(files.missing_message(self.needs, "It also"))
            return Availability.unavailable("\n".join(lines))
        if absent:
            message = files.missing_message(self.needs, self.name)
            downloadable = all(item.url for item in absent) and not weights.is_offline()
            return Availability.download(message) if downloadable else Availability.unavailable(message)
        return Availability.present(f"{ckpt} and {', '.join(files.ALL[key].name for key in self.needs)}")

    def load(self, device: "torch.device") -> None:
        from .model import GfiqaPrior, ModelConfig, load_generator
        from .train import load_trained

        path = checkpoint_path()
        if path is None:
            raise WeightsError(f"{self.name} has no trained checkpoint: {TRAIN_HINT}")
        payload = checkpoint.load_for_scoring(path)
        pretrained = payload.get("pretrained", {})
        if pretrained.get("random_weights", True):
            raise WeightsError(f"{path} was trained from random weights (a test run), not from the pretrained files; "
                               f"it is not a model to score with. {TRAIN_HINT}")
        config = ModelConfig.from_dict(payload["config"]["model"])
        if self.needs != files.SCORING and not config.uses_generator:
            raise WeightsError(f"{path} is a ResNet50 baseline checkpoint: it has no generator to make a reference")
        model = GfiqaPrior(config)
        if config.uses_generator:
            generator_file = files.STYLEGAN2.resolve()
            record = load_generator(model, generator_file, w_avg=None if "w_avg" not in payload["model"]
                                    else payload["model"]["w_avg"].float())
            trained_with = pretrained.get("files", {}).get("stylegan2", {}).get("sha256")
            if trained_with and record["sha256"] != trained_with:
                raise WeightsError(f"{generator_file} (sha256 {record['sha256']}) is not the generator file {path} was "
                                   f"trained with (sha256 {trained_with}); the encoder fits only that one")
        best = payload.get("best") or {"model": payload["model"]}
        load_trained(model, best["model"])
        self._model = model.to(device).eval()
        if self.needs == files.SCORING_TF:
            from .lpips import LPIPS
            from .model import read_tensors

            lpips = LPIPS()
            lpips.load_pretrained(read_tensors(files.VGG16.resolve()), read_tensors(files.LPIPS_LIN.resolve()))
            self._lpips = lpips.to(device)
        self._device = device
        self.weights = dict(self.identity().weights or {})

    def _inputs(self, images: Sequence["torch.Tensor"]) -> "torch.Tensor":
        import torch

        from .model import to_model_input

        size = self._model.config.size
        return torch.cat([to_model_input(image[None].to(self._device), size) for image in images])

    def score_batch(self, images: Sequence["torch.Tensor"], refs=None) -> Sequence[float]:
        import torch

        with torch.no_grad():
            return self._model(self._inputs(images))["score"].float().cpu().tolist()


class GfiqaPriorTF(GfiqaPriorMetric):
    """§VI-H (Table VII's Proposed-TF): LPIPS between the image and its generative reference x̂_K."""

    name = "gfiqa-prior-tf"
    lower_better = True
    description = "GFIQA-20k paper's training-free variant: LPIPS to the StyleGAN2 reference; needs pretrained files"
    needs = files.SCORING_TF

    def score_batch(self, images: Sequence["torch.Tensor"], refs=None) -> Sequence[float]:
        import torch

        with torch.no_grad():
            inputs = self._inputs(images)
            reference = self._model(inputs)["reference"].clamp(-1, 1)
            return self._lpips(inputs * 2 - 1, reference).float().cpu().tolist()


METRICS = (GfiqaPriorMetric, GfiqaPriorTF)

__all__ = ["GfiqaPriorMetric", "GfiqaPriorTF", "METRICS", "checkpoint_path"]
