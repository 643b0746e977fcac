"""What iqabench knows about pyiqa metrics beyond pyiqa's own table, measured with pyiqa 0.1.16.

tests/test_pyiqa_plugin.py checks each entry against the installed pyiqa.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where pyiqa downloads its own weight files from (``arch_util.get_url_from_name``).
WEIGHTS_URL = "https://huggingface.co/chaofengc/IQA-PyTorch-Weights/resolve/main/{}"


@dataclass(frozen=True)
class Named:
    """A pyiqa metric registered under its plain name, with its weight files declared up front."""

    kind: str
    lower_better: bool
    score_range: tuple[float | None, float | None]
    weight_files: tuple[str, ...]
    description: str


#: Registered as ``niqe``, ``brisque``, ``musiq``, even without pyiqa (they then say how to install it).
#: Kind, direction and range repeat pyiqa's table so that they show when pyiqa is absent.
NAMED: dict[str, Named] = {
    "niqe": Named("NR", True, (0.0, 100.0), ("niqe_modelparameters.mat",), "NIQE (Mittal et al. 2013), pyiqa"),
    "brisque": Named("NR", True, (0.0, 150.0), ("brisque_svm_weights.pth",), "BRISQUE (Mittal et al. 2012), pyiqa"),
    # Only the KonIQ checkpoint: MUSIQ's ImageNet checkpoint is not fetched when a trained one is.
    "musiq": Named("NR", False, (0.0, 100.0), ("musiq_koniq_ckpt-e95806b9.pth",), "MUSIQ trained on KonIQ-10k, pyiqa"),
}

#: pyiqa metrics that build and score without any weight file.
WEIGHT_FREE = frozenset(
    {"cw_ssim", "entropy", "fsim", "gmsd", "mad", "ms_ssim", "nlpd", "piqe", "psnr", "psnry", "ssim", "ssimc", "vif", "vsi"}
)

#: Scored one image at a time: float32 BRISQUE moves by up to 0.7 % (0.008 absolute) with the other
#: images stacked in its batch, so a stored score would depend on its neighbours.
ONE_AT_A_TIME = frozenset({"brisque"})

#: Smallest image side (px) with which pyiqa computes a finite score; below it pyiqa raises or returns NaN.
#: NIQE: one 96x96 block. BRISQUE: at 7-8 px it returns the constant -rho, below that it fails.
#: MS-SSIM: 11-px window at the 5th scale (161 = 10*16+1). CW-SSIM: 4 pyramid levels. VIF: padding at 4 scales.
#: MUSIQ resizes to 224/384 px and pads its patches, so any size runs.
MIN_SIZES: dict[str, int] = {
    "niqe": 96,
    "brisque": 9,
    "ms_ssim": 161,
    "cw_ssim": 64,
    "vif": 33,
    "mad": 16,
    "ssim": 11,
    "ssimc": 11,
    "piqe": 8,
    "gmsd": 4,
    "fsim": 2,
}


def unsupported(name: str, config: dict) -> str:
    """Why a pyiqa metric cannot give one score per image, or "" when it can."""
    kind = config.get("metric_opts", {}).get("type")
    if kind in {"FID", "InceptionScore"}:
        return f"pyiqa:{name} scores a set of images (a distribution), not one image; iqabench scores images one by one"
    if name == "clipscore":
        return "pyiqa:clipscore needs a caption for every image; iqabench datasets have none"
    if name == "fgresq_pair":
        return "pyiqa:fgresq_pair ranks two images against each other and returns a tuple, not one score per image"
    return ""
