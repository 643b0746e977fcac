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

#: sha256 of weight files pyiqa loads, checked before pyiqa reads them (iqabench.pins): another file under
#: the name is refused unless the user trusts it (IQABENCH_TRUST_WEIGHTS). Files with ``-<hex>.`` in the
#: name and no pin here are checked against those digits.
#: niqe/brisque: the official LIVE parameters (../shared/weights/pyiqa, see its README) that reproduce
#: pyiqa's published scores; pyiqa's own hosted copies could not be hashed here (offline) and are welcome
#: as second entries. musiq: the Hugging Face LFS sha256 of pyiqa's checkpoint (its name carries the prefix).
PINNED_SHA256: dict[str, tuple[str, ...]] = {
    "niqe_modelparameters.mat": ("d8878d67de6c546d1952168c5a1c52cfed9f57f792f3c9915eda273f24558c52",),
    "brisque_svm_weights.pth": ("bcf8a997d4acc835f372b18934f4c699a9047a255a75fa3f8ad6abaa2aa4c79e",),
    "musiq_koniq_ckpt-e95806b9.pth": ("e95806b9eae5f3814c410f574ba8e552362bd5bc63d758ed5b97860f5d6185aa",),
}

#: pyiqa metric types (``metric_opts.type``) built on natural-scene statistics of local contrast: a constant
#: image (or one of flat regions only) has none, and pyiqa fails on it (NIQE: ``linalg.svd`` on non-finite
#: values; BRISQUE: NaN or an assertion), so the adapter names the cause instead.
NEEDS_TEXTURE = frozenset({"NIQE", "ILNIQE", "BRISQUE", "PI"})

#: pyiqa metrics that build and score without any weight file.
WEIGHT_FREE = frozenset(
    {"cw_ssim", "entropy", "fsim", "gmsd", "mad", "ms_ssim", "nlpd", "piqe", "psnr", "psnry", "ssim", "ssimc", "vif", "vsi"}
)

#: Scored one image at a time: float32 BRISQUE moves by up to 0.7 % (0.008 absolute) with the other
#: images stacked in its batch, so a stored score would depend on its neighbours.
ONE_AT_A_TIME = frozenset({"brisque"})

#: Images per batch where the default (8) costs far more memory than it saves time. pyiqa's NIQE holds
#: about 0.5 KB of float intermediates per pixel of the batch it is given: eight 500x500 images stacked peak
#: about 0.9 GB above the process, one image about 0.1 GB, and on CPU one at a time is as fast; the scores
#: are the same either way (compared on LIVE Challenge images, stacked and one by one: equal).
BATCH_SIZES: dict[str, int] = {"niqe": 1}

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
