"""The pretrained files the model is built from (§IV, §V), each named exactly, with where it comes from and the
folder it goes in; found through :mod:`iqabench.weights` (``$IQABENCH_WEIGHTS_DIR/<subdir>/<file>`` or
``$IQABENCH_WEIGHTS_DIR/<file>``, then torch's hub cache ``$TORCH_HOME/hub/<subdir>/``), downloaded into that
cache only when downloads are allowed and a direct URL is known.

None of them can be downloaded on the machine this model was written on; no part of the model ever falls
back to random weights in their place (:mod:`.model`).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from iqabench import weights
from iqabench.errors import WeightsError

from . import gfpgan_weights

#: the sha256 of LPIPS v0.1's VGG linear layers (the lpips package's ``weights/v0.1/vgg.pth``, byte-identical to
#: pyiqa's ``LPIPS_v0.1_vgg-a78928a0.pth``).
LPIPS_VGG_SHA256 = "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868"
SUBDIR = "gfiqa-prior"


@dataclass(frozen=True)
class PretrainedFile:
    """One file: ``names`` (the first is asked for; the others are the same content under another name),
    ``url`` (a direct download, or None), ``source`` (the project and release), ``subdir`` (below the weights
    folder or the hub cache) and what it is ``for``."""

    key: str
    names: tuple[str, ...]
    url: str | None
    source: str
    subdir: str
    used_for: str

    @property
    def name(self) -> str:
        return self.names[0]

    def find(self) -> Path | None:
        """The first copy found; never downloads."""
        for name in self.names:
            found = weights.find(name, self.subdir)
            if found is not None:
                return found
        if self.key == "lpips":
            return lpips_package_file()
        return None

    def resolve(self, offline: bool | None = None) -> Path:
        """The file, downloaded into the cache when allowed (and a direct URL is known); WeightsError otherwise."""
        found = self.find()
        if found is not None:
            return found
        try:
            return weights.resolve(self.name, url=self.url, subdir=self.subdir, offline=offline)
        except WeightsError as exc:
            raise WeightsError(f"{exc}\n{self.describe()}") from None

    def describe(self) -> str:
        """One line per fact: the file, where it comes from, the folder it goes in."""
        also = f" (or the same file as {', '.join(self.names[1:])})" if len(self.names) > 1 else ""
        folder = weights.weights_dir()
        where = (f"{folder / self.subdir}/ or {folder}/" if folder is not None
                 else f"$IQABENCH_WEIGHTS_DIR/{self.subdir}/ (or $IQABENCH_WEIGHTS_DIR/)")
        return (f"  {self.name}{also}: {self.used_for}\n"
                f"    from {self.source}{f': {self.url}' if self.url else ''}\n"
                f"    put it in {where}, or {weights.cache_dir(self.subdir)}/")


STYLEGAN2 = PretrainedFile(
    "stylegan2", (gfpgan_weights.FILE,), gfpgan_weights.URL,
    "GFPGAN's v0.1.0 release (TencentARC/GFPGAN, Apache-2.0)", SUBDIR,
    "the frozen StyleGAN2 face generator (§V), 512 px, channel multiplier 1")
RESNET50 = PretrainedFile(
    "resnet50", ("resnet50-0676ba61.pth", "resnet50-19c8e357.pth"), "https://download.pytorch.org/models/resnet50-0676ba61.pth",
    "torchvision's ImageNet weights (ResNet50_Weights.IMAGENET1K_V1; 19c8e357 is its older URL)", "checkpoints",
    "the encoder's ResNet50, ImageNet-initialised (§IV-A; Table III's ResNet50 baseline)")
VGG16 = PretrainedFile(
    "vgg16", ("vgg16-397923af.pth",), "https://download.pytorch.org/models/vgg16-397923af.pth",
    "torchvision's ImageNet weights (VGG16_Weights.IMAGENET1K_V1)", "checkpoints",
    "LPIPS's VGG16 (Eq. 7 and the training-free variant)")
LPIPS_LIN = PretrainedFile(
    "lpips", ("vgg.pth", "LPIPS_v0.1_vgg-a78928a0.pth"),
    "https://github.com/richzhang/PerceptualSimilarity/raw/master/lpips/weights/v0.1/vgg.pth",
    "LPIPS v0.1 (richzhang/PerceptualSimilarity, BSD-2; also inside the PyPI package lpips, "
    "`pip install lpips`, which is found without copying)", "lpips",
    "LPIPS's linear layers on the VGG16 features")
ARCFACE = PretrainedFile(
    "arcface", ("model_ir_se50.pth", "recognition_arcface_ir_se50.pth"),
    "https://github.com/xinntao/facexlib/releases/download/v0.1.0/recognition_arcface_ir_se50.pth",
    "ArcFace IR-SE50 of TreB1eN/InsightFace_Pytorch, as pSp ships it (model_ir_se50.pth, linked from "
    "eladrich/pixel2style2pixel's README) or as facexlib's v0.1.0 release names it", SUBDIR,
    "the identity loss (Eq. 8)")

ALL = {item.key: item for item in (STYLEGAN2, RESNET50, VGG16, LPIPS_LIN, ARCFACE)}
#: what each use needs.
TRAINING = {"full": ("stylegan2", "resnet50", "vgg16", "lpips", "arcface"), "baseline": ("resnet50",)}
SCORING = ("stylegan2",)
SCORING_TF = ("stylegan2", "vgg16", "lpips")


def training_files(variant: str) -> tuple[str, ...]:
    return TRAINING["baseline" if variant == "baseline" else "full"]


def lpips_package_file() -> Path | None:
    """``weights/v0.1/vgg.pth`` inside the installed ``lpips`` package, when it has the pinned sha256."""
    from iqabench.hashing import file_sha256

    spec = importlib.util.find_spec("lpips")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "weights" / "v0.1" / "vgg.pth"
        if path.is_file() and file_sha256(path) == LPIPS_VGG_SHA256:
            return path
    return None


def missing(keys) -> list[PretrainedFile]:
    return [ALL[key] for key in keys if ALL[key].find() is None]


def missing_message(keys, what: str) -> str:
    """'<what> needs files that are not here:' and each file's name, source and folder."""
    absent = missing(keys)
    return (f"{what} needs {len(absent)} pretrained file(s) that are not here:\n"
            + "\n".join(item.describe() for item in absent))


def resolve(keys, offline: bool | None = None) -> dict[str, Path]:
    """Every file of ``keys`` (downloading when allowed); one WeightsError naming all that are missing."""
    found, problems = {}, []
    for key in keys:
        try:
            found[key] = ALL[key].resolve(offline)
        except WeightsError:
            problems.append(key)
    if problems:
        raise WeightsError(missing_message(problems, "gfiqa-prior")
                           + "\nSee docs/models/gfiqa-prior.md in the iqabench repository.")
    return found


__all__ = ["ALL", "ARCFACE", "LPIPS_LIN", "PretrainedFile", "RESNET50", "SCORING", "SCORING_TF", "STYLEGAN2",
           "SUBDIR", "VGG16", "lpips_package_file", "missing", "missing_message", "resolve", "training_files"]
