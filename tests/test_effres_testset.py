"""The effres test-set builder (``python -m iqabench_effres.testset``) on two shared faces at 256 px: the
folders and labels it documents, the same bytes twice, and each variant (nuisances, Pillow resampling,
pairs, GFIQA layout) read back through the registry."""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dataset_fixtures import files_of
from iqabench_effres import testset
from PIL import Image
from shared_data import SHARED, needs_shared, requires_shared, shared_file

from iqabench.dataset import open_dataset
from iqabench.degrade import RESAMPLE_METHODS, downscale_upscale
from iqabench.plugins import load_registry

pytestmark = [requires_shared, needs_shared("data/faces")]

FACES = SHARED / "data" / "faces"
SIZE = 256
QUICK = ["--faces", str(FACES), "--limit", "2", "--size", str(SIZE)]


def build(out: Path, *options: str) -> Path:
    assert testset.main([*QUICK, "--out", str(out), *options]) == 0
    return out


def labels_of(path: Path) -> dict[str, float]:
    with open(path, newline="") as f:
        return {row[0]: float(row[1]) for row in list(csv.reader(f))[1:]}


def how_of(root: Path) -> dict[str, str]:
    """README.txt's image table: image -> how it was made."""
    lines = (root / "README.txt").read_text().split("Images (label, how):\n")[1].splitlines()
    return {line.split()[0]: line.split(maxsplit=2)[2] for line in lines}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The plain set twice (two folders), and each variant once."""
    for face in testset.split_faces()[:2]:
        shared_file(f"data/faces/{face}")
    shared_file(f"data/faces/{testset.PAIRS_FOLDER}")
    base = tmp_path_factory.mktemp("testsets")
    return {
        "plain": build(base / "plain"),
        "again": build(base / "again"),
        "nuisances": build(base / "nuisances", "--nuisances"),
        "pillow": build(base / "pillow", "--resampler", "pillow"),
        "pairs": build(base / "pairs", "--pairs"),
        "gfiqa": build(base / "gfiqa", "--gfiqa", "--size", "512", "--versions", "3"),
    }


def persons() -> list[str]:
    return [testset.person_name(face) for face in testset.split_faces()[:2]]


# --- the plain set -----------------------------------------------------------------------------------

def test_same_command_same_bytes(built):
    first, second = files_of(built["plain"]), files_of(built["again"])
    assert first == second and len(first) == 2 + 2 * 11  # README.txt, labels.csv, 11 images per person
    assert "--out '<this folder>'" in (built["plain"] / "README.txt").read_text()


def test_folders_and_labels_as_documented(built, registry):
    root = built["plain"]
    labels = labels_of(root / "labels.csv")
    expected = [f"{person}/{k:02d}.png" for person in persons() for k in range(11)]
    assert list(labels) == expected and sorted(p.name for p in root.iterdir() if p.is_dir()) == sorted(persons())
    for person in persons():
        assert labels[f"{person}/00.png"] == 1.0
        factors = [labels[f"{person}/{k:02d}.png"] for k in range(1, 11)]
        assert all(1 / 16 <= f < 1 for f in factors) and len(set(factors)) == 10
    for name in expected:
        with Image.open(root / name) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGB", (SIZE, SIZE))
    dataset = open_dataset(registry.dataset("faces"), root)
    assert len(dataset.samples) == 22 and not dataset.missing and dataset.group_by == "person"
    assert sorted({s.group for s in dataset.samples}) == sorted(persons())
    assert {s.id: s.mos for s in dataset.samples} == pytest.approx(labels)


def test_images_are_the_recipe(built):
    """The clean face is the shared face resized with LANCZOS; each copy is downscale_upscale of it at its
    label, with the method README.txt names."""
    root, face = built["plain"], testset.split_faces()[0]
    person = testset.person_name(face)
    with Image.open(shared_file(f"data/faces/{face}")) as original:
        clean = np.asarray(original.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS))
    assert np.array_equal(np.asarray(Image.open(root / person / "00.png")), clean)
    labels, how = labels_of(root / "labels.csv"), how_of(root)
    methods = set()
    for k in range(1, 11):
        name = f"{person}/{k:02d}.png"
        method = how[name].removeprefix("tf:")
        methods.add(method)
        assert method in RESAMPLE_METHODS
        assert np.array_equal(np.asarray(Image.open(root / name)), downscale_upscale(clean, labels[name], method))
    assert len(methods) > 1


def test_a_face_does_not_depend_on_the_limit_and_the_seed_matters(built, tmp_path):
    one = build(tmp_path / "one", "--limit", "1")  # the later --limit 1 wins
    person = persons()[0]
    plain = files_of(built["plain"])
    assert all(plain[name] == data for name, data in files_of(one).items() if name.startswith(person))
    other = build(tmp_path / "seed", "--seed", "1", "--versions", "2")
    first = f"{person}/01.png"
    assert labels_of(other / "labels.csv")[first] != labels_of(built["plain"] / "labels.csv")[first]
    assert "--versions 2 --seed 1" in (other / "README.txt").read_text()


# --- variants ------------------------------------------------------------------------------------

def test_nuisances_keep_the_factors(built, registry):
    root = built["nuisances"]
    assert (root / "labels.csv").read_bytes() == (built["plain"] / "labels.csv").read_bytes()
    how = how_of(root)
    copies = {name: text for name, text in how.items() if not name.endswith("/00.png")}
    qualities = [re.search(r"; jpeg (\d+)$", text) for text in copies.values()]
    assert all(q and 50 <= int(q[1]) <= 95 for q in qualities)
    assert how[f"{persons()[0]}/00.png"] == "clean"
    assert any("noise" in text for text in copies.values()) and any("contrast" in text for text in copies.values())
    assert any("noise" not in text for text in copies.values())  # probability 0.5
    plain = files_of(built["plain"])
    assert all(files_of(root)[name] != plain[name] for name in copies)
    assert len(open_dataset(registry.dataset("faces"), root).samples) == 22


def test_pillow_resampler(built, registry):
    root = built["pillow"]
    assert (root / "labels.csv").read_bytes() == (built["plain"] / "labels.csv").read_bytes()
    how = how_of(root)
    for name, text in how.items():
        if not name.endswith("/00.png"):
            down, up = text.removeprefix("pillow:").split("/")
            assert down in testset.PILLOW_DOWN and up in testset.PILLOW_UP
    assert len(open_dataset(registry.dataset("faces"), root).samples) == 22


def test_pairs(built, registry):
    root = built["pairs"]
    names = sorted(p.stem for p in (FACES / "pairs" / "gpen_val" / "hq").iterdir())
    assert labels_of(root / "labels.csv") == {f"{n}/{side}.png": value for n in names
                                             for side, value in (("hq", 1.0), ("lq", 0.5))}
    dataset = open_dataset(registry.dataset("faces"), root)
    assert sorted({s.group for s in dataset.samples}) == names and len(dataset.samples) == 2 * len(names)
    with Image.open(root / names[0] / "lq.png") as image:
        assert image.size == (SIZE, SIZE)


def test_gfiqa_layout(built, registry):
    root = built["gfiqa"]
    dataset = open_dataset(registry.dataset("gfiqa"), root)
    assert len(dataset.samples) == 2 * 4 and not dataset.missing and dataset.group_by == "photo"
    assert sorted({s.group for s in dataset.samples}) == sorted(persons())
    clean = [s for s in dataset.samples if s.id.endswith("_0.png")]
    assert len(clean) == 2 and all(s.mos == 1.0 for s in clean)
    assert all(1 / 16 <= s.mos < 1 for s in dataset.samples if s not in clean)
    with Image.open(clean[0].path) as image:
        assert image.size == (512, 512)


def test_log_uniform_factors_keep_the_methods_and_stay_below_the_top(built, tmp_path):
    root = build(tmp_path / "log", "--factors", "log-uniform", "--max-factor", "0.9")
    labels, plain = labels_of(root / "labels.csv"), labels_of(built["plain"] / "labels.csv")
    copies = [name for name in labels if not name.endswith("/00.png")]
    assert all(1 / 16 <= labels[name] < 0.9 for name in copies)
    assert all(labels[name] != plain[name] for name in copies)
    assert {n: how_of(root)[n] for n in copies} == {n: how_of(built["plain"])[n] for n in copies}  # same draws
    assert "factor log-uniform in [1/16, 0.9)" in (root / "README.txt").read_text()
    assert "--factors log-uniform --max-factor 0.9" in (root / "README.txt").read_text()


def test_factor_distributions():
    """Log-uniform: log f uniform, so about ln(4.8)/ln(14.4) = 59% of [1/16, 0.9) falls below 0.3
    (uniform: 28%); both stay in range."""
    rng = np.random.default_rng(0)
    log = np.array([testset.draw_factor(rng, testset.FactorRange("log-uniform", 0.9)) for _ in range(20000)])
    flat = np.array([testset.draw_factor(rng, testset.FactorRange("uniform", 0.9)) for _ in range(20000)])
    for factors in (log, flat):
        assert factors.min() >= 1 / 16 and factors.max() < 0.9
    assert np.mean(log < 0.3) == pytest.approx(np.log(4.8) / np.log(14.4), abs=0.01)
    assert np.mean(flat < 0.3) == pytest.approx((0.3 - 1 / 16) / (0.9 - 1 / 16), abs=0.01)
    position = np.log(log / (1 / 16)) / np.log(14.4)  # uniform on [0, 1) when log f is uniform
    assert np.histogram(position, bins=4, range=(0, 1))[0] / len(position) == pytest.approx([0.25] * 4, abs=0.015)
    with pytest.raises(testset.BuildError, match="unknown factor distribution"):
        testset.FactorRange("normal")


# --- refusals ------------------------------------------------------------------------------------

def test_refusals(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert testset.main([*QUICK, "--out", str(tmp_path / "full")]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert testset.main([*QUICK, "--out", str(tmp_path / "a"), "--pairs", "--nuisances"]) == 2
    assert "--nuisances, --resampler, --sharp-only, --factors and --max-factor do not apply" in capsys.readouterr().err
    assert testset.main([*QUICK, "--out", str(tmp_path / "d"), "--max-factor", "0.05"]) == 2
    assert "--max-factor must be above 1/16 and at most 1, got 0.05" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
    assert testset.main(["--faces", str(tmp_path), "--out", str(tmp_path / "b")]) == 2
    assert "are not under" in capsys.readouterr().err and not (tmp_path / "b").exists()
    with pytest.raises(SystemExit):
        testset.main(["--faces", str(FACES)])  # --out is required: nothing is written by default
    with pytest.raises(SystemExit):
        testset.main([*QUICK, "--out", str(tmp_path / "c"), "--pairs", "--gfiqa"])


def test_module_runs_as_a_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "iqabench_effres.testset", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "--nuisances" in result.stdout and "--resampler" in result.stdout


# --- end to end ----------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.pyiqa
@pytest.mark.skipif(importlib.util.find_spec("pyiqa") is None, reason="pyiqa is not installed (iqabench[pyiqa])")
@needs_shared("weights/pyiqa/niqe_modelparameters.mat")
def test_niqe_on_a_built_set_shows_grouped_statistics(tmp_path):
    root = build(tmp_path / "faces", "--versions", "3")
    environment = dict(os.environ, COLUMNS="250", IQABENCH_OFFLINE="1", IQABENCH_WEIGHTS_DIR=str(SHARED / "weights"))
    result = subprocess.run([sys.executable, "-m", "iqabench", "run", "-m", "niqe", "-d", "faces", "--root", str(root),
                             "--store", str(tmp_path / "s.sqlite"), "--device", "cpu", "--resamples", "100"],
                            capture_output=True, text=True, env=environment, timeout=600)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "niqe: 8 scored now, 0 stored, 0 missing, 0 failed" in result.stdout
    assert "SRCC/person" in result.stdout and "PRA/person" in result.stdout
    assert "X/person: the statistic within each person" in " ".join(result.stdout.split())
