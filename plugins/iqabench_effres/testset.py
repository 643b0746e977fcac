"""Build effres test sets from clean faces: ``faces`` datasets (one folder per person), as Kansy et al.
evaluate (SRCC and PRA within each person's folder, averaged over persons).

    python -m iqabench_effres.testset --faces ../shared/data/faces --out effres-test [--size 512]
    iqabench run -m effres -d faces --root effres-test

It never writes into the repository by default: ``--out`` is required, and must be absent or empty
(``--overwrite`` empties nothing, it only allows writing over the files of an earlier build).

**Faces.** The split file (default: ``splits/shared-faces.json`` of this package) lists clean faces
relative to the faces root (``--faces``); its ``test`` list (``--subset``; several, comma-separated, are
read one after the other) is read in its order, the first ``--limit`` of it when given. ``--sharp-only``
keeps, before the limit, only the faces whose spectrum shows them sharp at ``--size``
(:func:`iqabench_effres.sharpness.sharp_height` of the resized face reaches it; 256, 384 or 512 px), so
that label 1.0 is true at that size. Each face is decoded as RGB (an alpha channel is dropped) and, with
``--size N``, resized to N×N with Pillow's LANCZOS first (the faces are square: 1024 px CelebA-HQ and
FFHQ; CI uses 256 or 512). Its person folder is ``<parent folder>_<file stem>``
(``hq/ffhq/00004.png`` -> ``ffhq_00004``).

**Recipe (default, ``--resampler tf``).** Per face, ``<person>/00.png`` is the clean face, label 1.0,
and ``<person>/01.png`` … ``NN.png`` (``--versions``, 10) are degraded copies. For each copy a factor
``f`` is drawn uniform in [1/16, 1) and rounded to 6 decimals, and a method uniform among
:data:`iqabench.degrade.RESAMPLE_METHODS` (TensorFlow's kernels, as in the paper); the copy is
:func:`iqabench.degrade.downscale_upscale` (shrink to round(f·size), enlarge back with the same method)
and its label is ``f``. The labels are ``labels.csv`` (``image,effective_resolution``).

**``--factors log-uniform``** draws ``log f`` uniform instead, so that every ratio of factors is as
likely at the top of the range as at the bottom (about 60% of the copies below 0.3), and ``--max-factor``
lowers the top of the range (e.g. 0.9: no copy is nearly as sharp as the clean face). Either takes one
draw per factor, so the methods, filters and nuisances are those of the default set.

**``--resampler pillow``.** The same factors (same draws), but shrunk with one of Pillow's BOX,
BILINEAR, HAMMING, BICUBIC or LANCZOS and enlarged with one of NEAREST, BOX, BILINEAR, HAMMING, BICUBIC
or LANCZOS, each drawn uniformly: a resampling implementation that is not this project's, to check
that a metric generalises beyond the kernels it was trained with.

**``--nuisances``.** After resampling, degradations unrelated to resolution, drawn independently of the
factor (from a generator of their own, so the factors and methods are those of the plain set), applied
in this order:

1. with probability 0.5, contrast and brightness: ``x' = (x − 127.5)·c + 127.5 + b`` with
   ``c ~ U[0.8, 1.2]`` and ``b ~ U[−15, 15]`` (0–255 scale), rounded and clipped;
2. with probability 0.5, white Gaussian noise of ``sigma ~ U[0, 5]`` (0–255 scale),
   :func:`iqabench.degrade.gaussian_noise` with a drawn seed;
3. always, JPEG at quality ``q`` uniform among the integers 50…95 (Pillow, 4:2:0),
   :func:`iqabench.degrade.jpeg_compress`; the file written is still PNG.

The clean face gets none (it stays the sharpest of its folder, label 1.0). Every value is drawn whether or not
its step applies, so the draws of one copy do not depend on the coin flips of another.

**Seeds.** Face ``k`` (0-based in the list) draws its factors and methods from
``numpy.random.default_rng([seed, k, 0])`` and its nuisances from ``default_rng([seed, k, 1])``: the same
command writes the same bytes, and a face's copies do not depend on ``--limit``. Per copy the draws are,
in order: factor, TF method, Pillow down filter, Pillow up filter (all four whichever resampler is used,
so that ``tf`` and ``pillow`` sets have the same factors); then, from the nuisance generator, contrast
flag, c, b, noise flag, sigma, noise seed, JPEG quality.

**``--pairs``** (instead): from ``<faces>/pairs/gpen_val/{hq,lq}/``, files of one name are a pair and a
person: ``<name stem>/hq.png`` labelled 1.0 and ``<name stem>/lq.png`` labelled 0.5 (only the order
matters). A file without its partner is an error. ``--size`` applies; nothing is drawn.

**``--gfiqa``** (instead): a folder in GFIQA-20k's release layout (``datasets/gfiqa.toml``) from the same
faces and recipe: ``image/<person>_<k>.png`` (k = 0 the clean face, 1… the copies; so the reader's group,
the name before the last ``_k``, is the person) at 512×512 unless ``--size`` says otherwise, and
``mos_val_rating.csv`` (``img_name,mos``) whose MOS is the factor. For checking that
``iqabench run --metric effres --dataset gfiqa --root <out>`` works offline.

Every build writes ``README.txt`` in the output folder: what it is, the command (with ``<this folder>``
for ``--out``, so it is the same bytes wherever it was written), the seed and the recipe.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np
from PIL import Image

from iqabench.degrade import RESAMPLE_METHODS, downscale_upscale, gaussian_noise, jpeg_compress
from .sharpness import CANDIDATE_HEIGHTS, sharp_height

SPLIT_FILE = Path(__file__).resolve().parent / "splits" / "shared-faces.json"
PAIRS_FOLDER = "pairs/gpen_val"
MIN_FACTOR = 1 / 16
VERSIONS = 10
GFIQA_SIZE = 512
LABEL_FILE = "labels.csv"
LABEL_COLUMNS = ("image", "effective_resolution")

#: Pillow's filters for ``--resampler pillow``: shrinking (all antialias), and enlarging.
PILLOW_DOWN = ("BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS")
PILLOW_UP = ("NEAREST", "BOX", "BILINEAR", "HAMMING", "BICUBIC", "LANCZOS")
RESAMPLERS = ("tf", "pillow")
#: how the copies' factors are drawn (``--factors``).
FACTOR_DISTRIBUTIONS = ("uniform", "log-uniform")

#: the nuisance recipe (see the module docstring).
CONTRAST_PROBABILITY, CONTRAST = 0.5, (0.8, 1.2)
BRIGHTNESS = (-15.0, 15.0)
NOISE_PROBABILITY, NOISE_SIGMA = 0.5, (0.0, 5.0)
JPEG_QUALITY = (50, 95)


class BuildError(Exception):
    """A build that cannot be done as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Version:
    """One degraded copy: its factor (the label), how it was resampled and the nuisances applied."""

    factor: float
    resampling: str
    nuisances: str = ""


# --- faces -------------------------------------------------------------------------------------------

def split_faces(split_file: Path = SPLIT_FILE, subset: str = "test") -> list[str]:
    """The ``subset`` list of a split file (lists joined in order when ``subset`` names several, comma-separated):
    face paths relative to the faces root."""
    try:
        data = json.loads(Path(split_file).read_text())
    except (OSError, ValueError) as exc:
        raise BuildError(f"cannot read the split file {split_file}: {exc}") from None
    faces = []
    for name in subset.split(","):
        listed = data.get(name) if isinstance(data, dict) else None
        if not isinstance(listed, list) or not all(isinstance(f, str) for f in listed) or not listed:
            raise BuildError(f"split file {split_file} has no non-empty list {name!r} of face paths")
        faces += listed
    return faces


def person_name(face: str) -> str:
    """``hq/ffhq/00004.png`` -> ``ffhq_00004``: the face's parent folder and file stem."""
    path = PurePosixPath(face)
    return f"{path.parent.name}_{path.stem}" if path.parent.name else path.stem


def load_face(path: Path, size: int | None) -> np.ndarray:
    """A face as uint8 RGB, resized to ``size``×``size`` with LANCZOS when ``size`` is given."""
    try:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise BuildError(f"cannot read face {path}: {exc}") from None
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image)


def save_png(image: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path, format="PNG")


# --- degradations ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FactorRange:
    """Where the copies' factors are drawn: ``distribution`` (uniform or log-uniform) on [1/16, ``high``)."""
    distribution: str = "uniform"
    high: float = 1.0

    def __post_init__(self) -> None:
        if self.distribution not in FACTOR_DISTRIBUTIONS:
            raise BuildError(f"unknown factor distribution {self.distribution!r}; "
                             f"choose one of {', '.join(FACTOR_DISTRIBUTIONS)}")
        if not MIN_FACTOR < self.high <= 1.0:
            raise BuildError(f"--max-factor must be above 1/16 and at most 1, got {self.high}")

    def describe(self) -> str:
        return f"factor {self.distribution} in [1/16, {self.high:g})"


def draw_factor(rng: np.random.Generator, factors: FactorRange = FactorRange()) -> float:
    """One factor of ``factors`` (one draw of ``rng``), rounded to 6 decimals (the label is the factor
    used), below 1."""
    if factors.distribution == "log-uniform":
        value = float(np.exp(rng.uniform(np.log(MIN_FACTOR), np.log(factors.high))))
    else:
        value = float(rng.uniform(MIN_FACTOR, factors.high))
    return min(round(value, 6), 0.999999)


def resample(image: np.ndarray, rng: np.random.Generator, resampler: str,
             factors: FactorRange = FactorRange()) -> tuple[np.ndarray, Version]:
    """Draw a factor and a method and resample ``image`` at that effective resolution."""
    if resampler not in RESAMPLERS:
        raise BuildError(f"unknown resampler {resampler!r}; choose one of {', '.join(RESAMPLERS)}")
    factor = draw_factor(rng, factors)
    method = RESAMPLE_METHODS[int(rng.integers(len(RESAMPLE_METHODS)))]  # all drawn whichever is used,
    down = PILLOW_DOWN[int(rng.integers(len(PILLOW_DOWN)))]  # so both resamplers get the same factors
    up = PILLOW_UP[int(rng.integers(len(PILLOW_UP)))]
    if resampler == "tf":
        return downscale_upscale(image, factor, method), Version(factor, f"tf:{method}")
    return pillow_downscale_upscale(image, factor, down, up), Version(factor, f"pillow:{down}/{up}")


def pillow_downscale_upscale(image: np.ndarray, factor: float, down: str, up: str) -> np.ndarray:
    """Shrink to round(size·factor) (half to even, at least 1) with Pillow's ``down`` filter, enlarge back
    with ``up``; a copy where the reduced size is the image's own."""
    height, width = image.shape[:2]
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    if small == (width, height):
        return image.copy()
    picture = Image.fromarray(image)
    reduced = picture.resize(small, Image.Resampling[down])
    return np.asarray(reduced.resize((width, height), Image.Resampling[up]))


def add_nuisances(image: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """Contrast and brightness (p 0.5), Gaussian noise (p 0.5), then JPEG (always); see the docstring."""
    contrast_on = rng.random() < CONTRAST_PROBABILITY
    contrast = float(rng.uniform(*CONTRAST))
    brightness = float(rng.uniform(*BRIGHTNESS))
    noise_on = rng.random() < NOISE_PROBABILITY
    sigma = float(rng.uniform(*NOISE_SIGMA))
    noise_seed = int(rng.integers(2**32))
    quality = int(rng.integers(JPEG_QUALITY[0], JPEG_QUALITY[1] + 1))
    applied = []
    if contrast_on:
        values = (image.astype(np.float64) - 127.5) * contrast + 127.5 + brightness
        image = np.clip(np.rint(values), 0, 255).astype(np.uint8)
        applied.append(f"contrast {contrast:.3f} brightness {brightness:+.2f}")
    if noise_on:
        image = gaussian_noise(image, sigma, noise_seed)
        applied.append(f"noise {sigma:.3f}")
    image = jpeg_compress(image, quality)
    applied.append(f"jpeg {quality}")
    return image, "; ".join(applied)


def versions_of(face: np.ndarray, index: int, seed: int, count: int, resampler: str,
                nuisances: bool, factors: FactorRange = FactorRange()) -> list[tuple[np.ndarray, Version]]:
    """The ``count`` degraded copies of face number ``index`` (see Seeds in the module docstring)."""
    draws = np.random.default_rng([seed, index, 0])
    nuisance_draws = np.random.default_rng([seed, index, 1])
    copies = []
    for _ in range(count):
        image, version = resample(face, draws, resampler, factors)
        if nuisances:
            image, applied = add_nuisances(image, nuisance_draws)
            version = Version(version.factor, version.resampling, applied)
        copies.append((image, version))
    return copies


# --- builds ------------------------------------------------------------------------------------------

def prepare_out(out: Path, overwrite: bool) -> Path:
    """``out``, checked: a folder that is absent or empty (or any, with ``overwrite``). Nothing is created
    until the faces are found."""
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise BuildError(f"--out {out} is not empty; give a new folder (or pass --overwrite to write over it)")
    return out


def chosen_faces(faces_root: Path, split_file: Path, subset: str, limit: int | None) -> list[str]:
    faces = split_faces(split_file, subset)[:limit]
    absent = [face for face in faces if not (faces_root / face).is_file()]
    if absent:
        raise BuildError(f"{len(absent)} face(s) of {split_file} ({subset!r}) are not under {faces_root}, "
                         f"first: {absent[:3]}; --faces is the folder the split's paths are relative to")
    persons = [person_name(face) for face in faces]
    if len(set(persons)) != len(persons):
        raise BuildError(f"two faces of {split_file} would share a person folder: {persons}")
    return faces


def write_csv(path: Path, header: Sequence[str], rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def label(value: float) -> str:
    return f"{value:.6f}"


def face_copies(faces_root: Path, split_file: Path, subset: str, limit: int | None, size: int | None,
                versions: int, seed: int, resampler: str, nuisances: bool, sharp_only: bool = False,
                factors: FactorRange = FactorRange()):
    """Per chosen face: (person, k, image, version), k = 0 the clean face, 1.. its degraded copies."""
    faces_root = Path(faces_root)
    if sharp_only and size not in CANDIDATE_HEIGHTS:
        raise BuildError(f"--sharp-only reads the spectrum at {', '.join(map(str, CANDIDATE_HEIGHTS))} px; "
                         f"give --size one of them (not {size})")
    chosen = chosen_faces(faces_root, split_file, subset, None if sharp_only else limit)
    loaded = ((face, load_face(faces_root / face, size)) for face in chosen)
    if sharp_only:  # each face read once: the spectrum is checked on the image the copies are made from
        loaded = islice(((face, image) for face, image in loaded if sharp_height(image) >= size), limit)
    index = -1
    for index, (face, image) in enumerate(loaded):
        copies = [(image, Version(1.0, "clean"))] + versions_of(image, index, seed, versions, resampler,
                                                                       nuisances, factors)
        for k, (copy, version) in enumerate(copies):
            yield person_name(face), k, copy, version
    if sharp_only and index < 0:
        raise BuildError(f"no face of {split_file} ({subset!r}) is sharp at {size} px by its spectrum; "
                         "give a smaller --size or another list")


def build_faces(faces_root: Path, out: Path, *, split_file: Path = SPLIT_FILE, subset: str = "test",
                limit: int | None = None, size: int | None = None, versions: int = VERSIONS, seed: int = 0,
                resampler: str = "tf", nuisances: bool = False, sharp_only: bool = False,
                factors: FactorRange = FactorRange()) -> list[tuple[str, Version]]:
    """Write a ``faces`` dataset (person folders + labels.csv) into ``out``; returns (image, version) rows."""
    rows = []
    for person, k, copy, version in face_copies(faces_root, split_file, subset, limit, size, versions, seed,
                                                resampler, nuisances, sharp_only, factors):
        name = f"{person}/{k:02d}.png"
        save_png(copy, out / name)
        rows.append((name, version))
    write_csv(out / LABEL_FILE, LABEL_COLUMNS, [(name, label(v.factor)) for name, v in rows])
    return rows


def build_gfiqa(faces_root: Path, out: Path, *, split_file: Path = SPLIT_FILE, subset: str = "test",
                limit: int | None = None, size: int | None = None, versions: int = VERSIONS, seed: int = 0,
                resampler: str = "tf", nuisances: bool = False, sharp_only: bool = False,
                factors: FactorRange = FactorRange()) -> list[tuple[str, Version]]:
    """Write a GFIQA-layout folder (``image/<person>_<k>.png``, ``mos_val_rating.csv``, MOS = factor)."""
    rows = []
    for person, k, copy, version in face_copies(faces_root, split_file, subset, limit, size or GFIQA_SIZE,
                                                versions, seed, resampler, nuisances, sharp_only, factors):
        name = f"{person}_{k}.png"
        save_png(copy, out / "image" / name)
        rows.append((name, version))
    write_csv(out / "mos_val_rating.csv", ("img_name", "mos"), [(name, label(v.factor)) for name, v in rows])
    return rows


def build_pairs(faces_root: Path, out: Path, *, size: int | None = None) -> list[tuple[str, Version]]:
    """Write a ``faces`` dataset of the pairs in ``<faces>/pairs/gpen_val/{hq,lq}``: hq 1.0, lq 0.5."""
    folder = Path(faces_root) / PAIRS_FOLDER
    names = {side: sorted(p.name for p in (folder / side).glob("*") if p.is_file() and not p.name.startswith("."))
             for side in ("hq", "lq")} if folder.is_dir() else {}
    if not names or not names["hq"]:
        raise BuildError(f"no pairs at {folder}: expected hq/<name> and lq/<name> images there")
    unpaired = sorted(set(names["hq"]) ^ set(names["lq"]))
    if unpaired:
        raise BuildError(f"{len(unpaired)} file(s) of {folder} have no partner in the other of hq/ and lq/, "
                         f"first: {unpaired[:3]}")
    rows = []
    for name in names["hq"]:
        person = PurePosixPath(name).stem
        for side, value in (("hq", 1.0), ("lq", 0.5)):
            save_png(load_face(folder / side / name, size), out / person / f"{side}.png")
            rows.append((f"{person}/{side}.png", Version(value, f"pairs:{side}")))
    write_csv(out / LABEL_FILE, LABEL_COLUMNS, [(name, label(v.factor)) for name, v in rows])
    return rows


def readme(command: str, args: argparse.Namespace, rows: list[tuple[str, Version]]) -> str:
    """README.txt: what was built, by which command, with which seed and recipe, and each image's origin."""
    if args.pairs:
        what = (f"A 'faces' dataset (iqabench run -d faces --root <this folder>) of the pairs in "
                f"<faces>/{PAIRS_FOLDER}: each pair is a person folder, hq.png labelled 1.0 and lq.png 0.5 "
                "(only the order matters). Nothing random.")
    else:
        layout = ("A GFIQA-20k-layout folder (iqabench run -d gfiqa --root <this folder>): image/<person>_<k>.png, "
                  "k = 0 the clean face, and mos_val_rating.csv whose MOS is the resampling factor."
                  if args.gfiqa else
                  "A 'faces' dataset (iqabench run -d faces --root <this folder>): <person>/00.png the clean "
                  "face (1.0), <person>/01.png … the degraded copies, labels.csv (image,effective_resolution).")
        what = (f"{layout}\nFaces: the {args.subset!r} list of {args.split.name}"
                + (f" (first {args.limit})" if args.limit else "")
                + (f", resized to {args.size}x{args.size} (LANCZOS)" if args.size else "")
                + (", only the faces whose spectrum shows them sharp at that size" if args.sharp_only else "")
                + f"; {args.versions} copies per face, {factor_range(args).describe()}, seed {args.seed}, "
                f"resampler {args.resampler}" + (", with nuisances (contrast/brightness p 0.5, noise p 0.5, "
                                                   "JPEG 50-95 always)" if args.nuisances else "")
                + ".\nRecipe: the docstring of iqabench_effres/testset.py.")
    lines = ["Effective-resolution test set built by iqabench_effres.testset.", "", what, "",
             f"Command:\n  {command}", "", "Images (label, how):"]
    lines += [f"  {name}  {v.factor:.6f}  {v.resampling}" + (f"; {v.nuisances}" if v.nuisances else "")
              for name, v in rows]
    return "\n".join(lines) + "\n"


# --- command line ------------------------------------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m iqabench_effres.testset",
        description="Build an effres test set from clean faces: one folder per person, the clean face (1.0) and "
                    "copies resampled at random factors in [1/16, 1) (label = factor; --factors and --max-factor "
                    "change the draw). The recipe is in the module "
                    "docstring.")
    p.add_argument("--faces", type=Path, required=True,
                   help="folder the split's face paths are relative to (e.g. ../shared/data/faces)")
    p.add_argument("--out", type=Path, required=True, help="output folder (absent or empty)")
    p.add_argument("--split", type=Path, default=SPLIT_FILE,
                   help="split file (default: the package's shared-faces.json)")
    p.add_argument("--subset", default="test",
                   help="list of the split file to use; several, comma-separated, are joined (default: test)")
    p.add_argument("--limit", type=_positive, help="only the first N faces of the list")
    p.add_argument("--size", type=_positive, help="resize each face to N×N (LANCZOS) first; default: as they are "
                                                   f"({GFIQA_SIZE} with --gfiqa)")
    p.add_argument("--sharp-only", action="store_true",
                   help="keep only the faces whose spectrum shows them sharp at --size (256, 384 or 512)")
    p.add_argument("--versions", type=_positive, default=VERSIONS,
                   help=f"degraded copies per face (default {VERSIONS})")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--resampler", choices=RESAMPLERS, default="tf",
                   help="tf: this project's TensorFlow kernels (default); pillow: Pillow's filters")
    p.add_argument("--nuisances", action="store_true", help="add contrast/brightness, noise and JPEG after resampling")
    p.add_argument("--factors", choices=FACTOR_DISTRIBUTIONS, default="uniform",
                   help="how the copies' factors are drawn on [1/16, --max-factor): uniform (default) or "
                        "log-uniform (every ratio equally likely)")
    p.add_argument("--max-factor", type=float, default=1.0,
                   help="top of the factors' range, above 1/16 and at most 1 (default 1, excluded)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--pairs", action="store_true", help=f"build from <faces>/{PAIRS_FOLDER}/{{hq,lq}} instead")
    kind.add_argument("--gfiqa", action="store_true", help="write a GFIQA-20k-layout folder instead")
    p.add_argument("--overwrite", action="store_true", help="allow writing into a non-empty --out")
    return p


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def factor_range(args: argparse.Namespace) -> FactorRange:
    return FactorRange(args.factors, args.max_factor)


def build(args: argparse.Namespace) -> list[tuple[str, Version]]:
    """Run the build ``args`` describe (as parsed by :func:`parser`) and write README.txt."""
    factors = factor_range(args)
    if args.pairs and (args.nuisances or args.resampler != "tf" or args.sharp_only or factors != FactorRange()):
        raise BuildError("--pairs takes the pairs as they are; --nuisances, --resampler, --sharp-only, --factors "
                         "and --max-factor do not apply")
    out = prepare_out(args.out, args.overwrite)
    options = dict(split_file=args.split, subset=args.subset, limit=args.limit, size=args.size,
                   versions=args.versions, seed=args.seed, resampler=args.resampler, nuisances=args.nuisances,
                   sharp_only=args.sharp_only, factors=factors)
    if args.pairs:
        rows = build_pairs(args.faces, out, size=args.size)
    elif args.gfiqa:
        rows = build_gfiqa(args.faces, out, **options)
    else:
        rows = build_faces(args.faces, out, **options)
    (out / "README.txt").write_text(readme(command_line(args), args, rows), encoding="utf-8")
    return rows


def command_line(args: argparse.Namespace) -> str:
    """The command that rebuilds this set, with ``<this folder>`` for ``--out``."""
    words = ["python", "-m", "iqabench_effres.testset", "--faces", str(args.faces), "--out", "<this folder>"]
    if args.split != SPLIT_FILE:
        words += ["--split", str(args.split)]
    for flag, value, default in (("--subset", args.subset, "test"), ("--limit", args.limit, None),
                                 ("--size", args.size, None), ("--versions", args.versions, VERSIONS),
                                 ("--seed", args.seed, 0), ("--resampler", args.resampler, "tf"),
                                 ("--factors", args.factors, "uniform"), ("--max-factor", args.max_factor, 1.0)):
        if value != default:
            words += [flag, str(value)]
    words += [flag for flag in ("--sharp-only", "--nuisances", "--pairs", "--gfiqa")
              if getattr(args, flag[2:].replace("-", "_"))]
    return shlex.join(words)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        rows = build(args)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(rows)} images to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
