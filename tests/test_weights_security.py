"""Weight files are verified before anything deserialises them.

A pickle whose ``__reduce__`` would create a marker file stands in for a hostile weight file: every test
that meets it checks that the marker never appears. The trusted-load-failure cases use a harmless corrupt
file instead, so that no crafted pickle is ever unpickled. Everything runs offline with an empty torch hub
cache and a network guard.
"""

import hashlib
import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.hub
from PIL import Image
from shared_data import SHARED, requires_shared, shared_file

from iqabench import Metric, pins, settings, weights
from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256
from iqabench.plugins import PluginManager
from iqabench.runner import RunOptions

SHARED_WEIGHTS = SHARED / "weights"
BRISQUE = "brisque_svm_weights.pth"
NIQE = "niqe_modelparameters.mat"
MUSIQ = "musiq_koniq_ckpt-e95806b9.pth"
#: what the shared official files hash to (../shared/README.md describes them).
SHARED_SHA256 = {
    NIQE: "d8878d67de6c546d1952168c5a1c52cfed9f57f792f3c9915eda273f24558c52",
    BRISQUE: "bcf8a997d4acc835f372b18934f4c699a9047a255a75fa3f8ad6abaa2aa4c79e",
}


class TouchesAFile:
    """Unpickling this creates the file at ``marker``: what a hostile weight file would do, harmlessly."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def write_hostile(path: Path, marker: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        pickle.dump(TouchesAFile(marker), handle)
    return path


def write_corrupt(path: Path) -> Path:
    """Not a checkpoint at all: torch.load fails on its first byte, whatever it is asked to do."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00 this is not a weight file \x00")
    return path


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch, no_network):
    """Offline, an empty torch hub cache, no weights folder, nothing trusted; no network connection."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    for variable in ("IQABENCH_WEIGHTS_DIR", pins.TRUST_WEIGHTS_ENV):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "MARKER-the-pickle-ran"
    yield path
    assert not path.exists(), "a crafted pickle was deserialised"


def pyiqa_registry():
    pytest.importorskip("pyiqa")
    from iqabench_pyiqa import plugin

    manager = PluginManager(discover=False)
    manager.register(plugin, "pyiqa")
    return manager.registry


def fresh(name: str):
    return type(pyiqa_registry().metrics[name])()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def iqabench_cli(*args, env):
    environment = {k: v for k, v in os.environ.items() if k != pins.TRUST_WEIGHTS_ENV}
    environment.update(COLUMNS="200", IQABENCH_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-m", "iqabench", *args], capture_output=True, text=True,
                          env=environment, timeout=600)


def image_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(root / "noise.png")
    return root


# -- the trust setting -------------------------------------------------------------------------


def test_trust_setting_paths_folders_all_and_override(tmp_path, monkeypatch):
    mine = tmp_path / "mine.pth"
    assert settings.trusted_weights() == frozenset() and not pins.is_trusted(mine)
    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, f" {mine} , {tmp_path / 'folder'} ,")
    assert settings.trusted_weights() == {mine.resolve(), (tmp_path / "folder").resolve()}
    assert pins.is_trusted(mine) and pins.is_trusted(tmp_path / "folder" / "deep" / "x.pth")
    assert not pins.is_trusted(tmp_path / "other.pth")
    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, "ALL")
    assert settings.trusted_weights() == "all" and pins.is_trusted(tmp_path / "other.pth")
    monkeypatch.delenv(pins.TRUST_WEIGHTS_ENV)
    with settings.overrides(trust_weights=[tmp_path / "other.pth"]):
        assert pins.is_trusted(tmp_path / "other.pth") and not pins.is_trusted(mine)
    assert not pins.is_trusted(tmp_path / "other.pth")


# -- the crafted pickle ------------------------------------------------------------------------


def test_a_pinned_name_with_another_file_is_refused_by_hash_alone(tmp_path, monkeypatch, marker):
    """The check itself never unpickles: refused untrusted, admitted (still unread) when trusted."""
    hostile = write_hostile(tmp_path / "w" / "pyiqa" / BRISQUE, marker)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))
    with pytest.raises(pins.WeightsRefused) as info:
        weights.resolve_verified(BRISQUE, subdir="pyiqa", pinned=SHARED_SHA256[BRISQUE])
    refused = info.value
    assert (refused.found, refused.expected) == (sha256(hostile), SHARED_SHA256[BRISQUE])
    message = str(refused)
    assert str(hostile) in message and sha256(hostile) in message and SHARED_SHA256[BRISQUE] in message
    assert f"{pins.TRUST_WEIGHTS_ENV}={hostile}" in message

    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, str(hostile))
    verified = weights.resolve_verified(BRISQUE, subdir="pyiqa", pinned=SHARED_SHA256[BRISQUE])
    assert (verified.path, verified.basis, verified.sha256) == (hostile, "trusted", sha256(hostile))


def test_the_brisque_metric_refuses_a_crafted_pickle_before_pyiqa_reads_it(tmp_path, monkeypatch, marker):
    hostile = write_hostile(tmp_path / "w" / "pyiqa" / BRISQUE, marker)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))
    metric = fresh("brisque")
    availability = metric.availability()
    assert not availability.ok and sha256(hostile) in availability.reason
    with pytest.raises(WeightsError) as info:
        metric.load(torch.device("cpu"))  # where pyiqa fetches the file: checked before its torch.load
    message = str(info.value)
    assert sha256(hostile) in message and SHARED_SHA256[BRISQUE] in message and str(hostile) in message
    assert metric.weights == {}


def test_the_command_line_refuses_it_with_exit_3(tmp_path, marker):
    pytest.importorskip("pyiqa")
    hostile = write_hostile(tmp_path / "w" / "pyiqa" / BRISQUE, marker)
    result = iqabench_cli("run", "-m", "brisque", "-d", "folder", "--root", str(image_folder(tmp_path / "images")),
                          "--store", str(tmp_path / "s.sqlite"),
                          env={"IQABENCH_WEIGHTS_DIR": str(tmp_path / "w"), "TORCH_HOME": str(tmp_path / "torch")})
    assert result.returncode == 3, result.stderr
    text = " ".join(result.stderr.split())
    assert "refused before it was loaded" in text
    assert f"its sha256 is {sha256(hostile)}" in text and f"pinned to sha256 {SHARED_SHA256[BRISQUE]}" in text
    assert "IQABENCH_TRUST_WEIGHTS=" in text and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_trusted_file_that_does_not_load_is_a_weights_error_with_exit_3(tmp_path):
    """Trust lifts the refusal; the file is then loaded, and a corrupt one fails by name (no traceback)."""
    pytest.importorskip("pyiqa")
    corrupt = write_corrupt(tmp_path / "w" / "pyiqa" / BRISQUE)
    env = {"IQABENCH_WEIGHTS_DIR": str(tmp_path / "w"), "TORCH_HOME": str(tmp_path / "torch"),
           pins.TRUST_WEIGHTS_ENV: str(corrupt)}
    result = iqabench_cli("run", "-m", "brisque", "-d", "folder", "--root", str(image_folder(tmp_path / "images")),
                          "--store", str(tmp_path / "s.sqlite"), env=env)
    assert result.returncode == 3, result.stderr
    text = " ".join(result.stderr.split())
    assert f"Weight file '{corrupt}' could not be loaded by torch.load: UnpicklingError" in text
    assert "refused" not in text and "Traceback" not in result.stderr


@pytest.mark.parametrize("name, payload", [
    (BRISQUE, b"PK\x03\x04 a truncated zip"),  # looks like torch's zip format, is not
    (NIQE, b"MATLAB 5.0 MAT-file, truncated"),
])
def test_a_trusted_damaged_file_names_the_file_and_the_reason(tmp_path, monkeypatch, name, payload):
    pytest.importorskip("pyiqa")
    path = tmp_path / "w" / "pyiqa" / name
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))
    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, str(tmp_path / "w"))
    metric = fresh("brisque" if name == BRISQUE else "niqe")
    with pytest.raises(WeightsError, match=rf"Weight file '{path}' could not be loaded by (torch\.load|scipy\.io\.loadmat)"):
        metric.load(torch.device("cpu"))


def test_a_trusted_file_of_the_wrong_structure_is_a_weights_error(tmp_path, monkeypatch):
    """It loads (weights_only), but it is not what BRISQUE takes: still a WeightsError naming the file."""
    path = tmp_path / "w" / "pyiqa" / BRISQUE
    path.parent.mkdir(parents=True)
    torch.save({"not": torch.zeros(2)}, path)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))
    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, str(path))
    with pytest.raises(WeightsError, match=rf"could not use its weight file\(s\) '{path}'"):
        fresh("brisque").load(torch.device("cpu"))


# -- hash prefixes, downloads, unverifiable files ------------------------------------------------


@pytest.mark.parametrize("name, prefix", [
    ("musiq_koniq_ckpt-e95806b9.pth", "e95806b9"),
    ("alexnet-owt-7be5be79.pth", "7be5be79"),
    ("LPIPS_v0.1_alex-df73285e.pth", "df73285e"),
    ("resnet50-11ad3fa6.pth", "11ad3fa6"),
    ("model-1234.pth", None),  # fewer than 8 digits: not a hash
    ("brisque_svm_weights.pth", None),
    ("sac+logos+ava1-l14-linearMSE.pth", None),
])
def test_hash_prefix_of_torch_hub_names(name, prefix):
    assert pins.hash_prefix(name) == prefix


def test_a_torch_hub_name_must_begin_its_own_sha256(tmp_path, monkeypatch, marker):
    good_bytes = b"some weights"
    digest = hashlib.sha256(good_bytes).hexdigest()
    good = tmp_path / f"backbone-{digest[:8]}.pth"
    good.write_bytes(good_bytes)
    verified = pins.verify(good)
    assert (verified.basis, verified.exact) == ("hash prefix", False)

    liar = write_hostile(tmp_path / "backbone-0123abcd.pth", marker)
    with pytest.raises(pins.WeightsRefused) as info:
        pins.verify(liar)
    message = str(info.value)
    assert "its name says its sha256 begins with 0123abcd" in message and sha256(liar) in message
    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, str(liar))
    assert pins.verify(liar).basis == "trusted"


def test_a_prefix_checked_file_is_read_with_weights_only(tmp_path, monkeypatch):
    """Eight hex digits can be forged: such a file is never fully unpickled, only read as tensors."""
    from iqabench_pyiqa.fetch import Fetches, routed_fetches

    folder = tmp_path / "w" / "checkpoints"
    folder.mkdir(parents=True)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))

    def prefixed(payload) -> str:
        scratch = folder / "scratch.pth"
        torch.save(payload, scratch)
        name = f"net-{file_sha256(scratch)[:8]}.pth"
        scratch.rename(folder / name)
        return name

    tensors, other = prefixed({"weight": torch.ones(2)}), prefixed({"made": date(2020, 1, 1)})
    fetches = Fetches(offline=True)
    with routed_fetches(fetches):
        path = fetches.resolve(tensors, f"https://example.org/{tensors}", "checkpoints")
        assert torch.load(path, weights_only=False)["weight"].tolist() == [1.0, 1.0]
        path = fetches.resolve(other, f"https://example.org/{other}", "checkpoints")
        with pytest.raises(WeightsError, match="could not be loaded safely"):
            torch.load(path, weights_only=False)
    assert torch.load(path, weights_only=False)["made"] == date(2020, 1, 1)  # outside the block: untouched


def test_an_unpinned_file_without_a_hash_needs_trust_unless_iqabench_downloaded_it(tmp_path, monkeypatch, marker):
    hostile = write_hostile(tmp_path / "liqe_koniq.pt", marker)
    with pytest.raises(pins.WeightsRefused, match="is not pinned, its name carries no hash") as info:
        pins.verify(hostile, url="https://example.org/liqe_koniq.pt")
    assert info.value.expected is None and info.value.found in str(info.value)
    assert "Delete it to let iqabench download it from https://example.org/liqe_koniq.pt" in str(info.value)

    downloads = []

    def fake_download(url, dst, *args, **kwargs):
        downloads.append(url)
        Path(dst).write_bytes(b"downloaded weights")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    monkeypatch.delenv("IQABENCH_OFFLINE")  # online, with a fake download
    verified = weights.resolve_verified("UNIQUE.pt", url="https://example.org/UNIQUE.pt", subdir="pyiqa")
    assert verified.basis == "downloaded" and verified.exact and downloads == ["https://example.org/UNIQUE.pt"]
    assert pins.verify(verified.path).basis == "downloaded"  # a later run: the record beside it says so
    verified.path.write_bytes(b"changed since")
    with pytest.raises(pins.WeightsRefused):
        pins.verify(verified.path)

    elsewhere = write_hostile(tmp_path / "w" / "UNIQUE.pt", marker)  # a record beside it, outside the cache
    (elsewhere.parent / pins.DOWNLOADS_FILE).write_text(f'{{"UNIQUE.pt": "{sha256(elsewhere)}"}}')
    with pytest.raises(pins.WeightsRefused, match="iqabench did not download it"):
        pins.verify(elsewhere)

    mat = tmp_path / "ILNIQE_templateModel.mat"
    mat.write_bytes(b"MATLAB data")
    assert pins.verify(mat).basis == "data only"  # scipy's reader runs no code


def test_a_download_that_differs_from_its_pin_is_refused(monkeypatch):
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda url, dst, *a, **k: Path(dst).write_bytes(b"x"))
    monkeypatch.delenv("IQABENCH_OFFLINE")
    with pytest.raises(pins.WeightsRefused, match="pinned to sha256 " + "0" * 64):
        weights.resolve_verified("w.pth", url="https://example.org/w.pth", subdir="pyiqa", pinned="0" * 64)


def test_a_third_party_metric_declares_pins_beside_its_weight_files(tmp_path, marker):
    """The pin table is not pyiqa's own: any metric can declare ``pinned_sha256`` for its weight_files()."""
    good = tmp_path / "mine.pt"
    torch.save({"w": torch.zeros(1)}, good)
    hostile = write_hostile(tmp_path / "theirs.pt", marker)

    class Pinned(Metric):
        name = "pinned-toy"
        files = {"checkpoint": good}
        pinned_sha256 = {"checkpoint": file_sha256(good)}

        def weight_files(self):
            return dict(self.files)

    assert pins.verify_declared(Pinned())["checkpoint"].basis == "pinned"
    swapped = Pinned()
    swapped.files = {"checkpoint": hostile}
    with pytest.raises(pins.WeightsRefused, match=f"checkpoint is pinned to sha256 {file_sha256(good)}"):
        pins.verify_declared(swapped)


# -- the good files ------------------------------------------------------------------------------


@requires_shared
def test_the_shared_official_files_match_the_pins():
    from iqabench_pyiqa.catalog import PINNED_SHA256

    for name in (NIQE, BRISQUE):
        verified = pins.verify(shared_file(f"weights/pyiqa/{name}"), pinned=PINNED_SHA256[name])
        assert (verified.basis, verified.sha256) == ("pinned", SHARED_SHA256[name])


@requires_shared
@pytest.mark.parametrize("name", ["niqe", "brisque"])
def test_niqe_and_brisque_load_the_shared_files(monkeypatch, name):
    shared_file(f"weights/pyiqa/{NIQE if name == 'niqe' else BRISQUE}")
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(SHARED_WEIGHTS))
    metric = fresh(name)
    assert metric.availability().ok
    metric.load(torch.device("cpu"))
    assert metric.weights == {file: SHARED_SHA256[file] for file in (NIQE if name == "niqe" else BRISQUE,)}


# -- MUSIQ: a user's own checkpoint of the right keys and shapes ----------------------------------


@pytest.fixture
def deserialisations(monkeypatch):
    """Counts torch's zip-checkpoint deserialisations (``torch.serialization._load``)."""
    import torch.serialization

    calls = []
    original = torch.serialization._load

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(torch.serialization, "_load", counting)
    return calls


def test_musiq_with_a_users_checkpoint_refused_untrusted_and_scoring_when_trusted(tmp_path, monkeypatch,
                                                                                   deserialisations):
    pytest.importorskip("pyiqa")
    from pyiqa.archs.musiq_arch import MUSIQ as MusiqArch

    from iqabench_pyiqa.catalog import PINNED_SHA256

    torch.manual_seed(0)
    state = MusiqArch(pretrained=False).state_dict()  # pyiqa's MUSIQ-KonIQ keys and shapes, random values
    checkpoint = tmp_path / "w" / "pyiqa" / MUSIQ
    checkpoint.parent.mkdir(parents=True)
    torch.save(state, checkpoint)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "w"))
    deserialisations.clear()

    metric = fresh("musiq")
    assert not metric.availability().ok
    with pytest.raises(pins.WeightsRefused) as info:
        metric.load(torch.device("cpu"))
    assert deserialisations == []  # refused before torch read a byte of it as a checkpoint
    message = str(info.value)
    assert file_sha256(checkpoint) in message and PINNED_SHA256[MUSIQ][0] in message

    monkeypatch.setenv(pins.TRUST_WEIGHTS_ENV, str(checkpoint))
    metric = fresh("musiq")
    assert metric.availability().ok
    metric.load(torch.device("cpu"))
    assert deserialisations == [1]
    assert metric.weights == {MUSIQ: file_sha256(checkpoint)}
    loaded = metric._model.net.state_dict()
    assert loaded.keys() == state.keys() and all(torch.equal(loaded[k], state[k]) for k in state)
    [score] = metric.score_batch([torch.rand(3, 96, 128)])
    assert np.isfinite(score)


# -- constant images --------------------------------------------------------------------------------


@requires_shared
@pytest.mark.filterwarnings("ignore:cov:UserWarning")  # pyiqa's NIQE on the flat image, before it fails
def test_constant_and_flat_images_fail_with_that_reason_under_niqe_and_brisque(tmp_path, monkeypatch):
    pytest.importorskip("pyiqa")
    from iqabench import api
    from iqabench_datasets import plugin as datasets_plugin
    from iqabench_pyiqa import plugin as pyiqa_plugin

    root = tmp_path / "images"
    root.mkdir()
    Image.new("RGB", (128, 128), (128, 128, 128)).save(root / "constant.png")
    halves = np.zeros((128, 128, 3), dtype=np.uint8)
    halves[64:] = 255
    Image.fromarray(halves).save(root / "flat.png")
    Image.open(shared_file("data/calib/dist_dir/I04.bmp")).convert("RGB").save(root / "photo.png")
    for name in (NIQE, BRISQUE):
        shared_file(f"weights/pyiqa/{name}")
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(SHARED_WEIGHTS))
    manager = PluginManager(discover=False)
    manager.register(pyiqa_plugin, "pyiqa")
    manager.register(datasets_plugin, "datasets")

    result = api.run(["niqe", "brisque"], "folder", root=root, store=tmp_path / "s.sqlite",
                     options=RunOptions(device="cpu", num_workers=0), registry=manager.registry, resamples=10)
    for summary in result.summaries:
        reasons = dict(summary.failures)
        assert summary.scored == 1 and set(reasons) == {"constant.png", "flat.png"}, (summary.metric, reasons)
        assert "the image is constant" in reasons["constant.png"]
        assert summary.metric in reasons["constant.png"]
        assert "too little texture (constant or flat regions only)" in reasons["flat.png"]
        assert "LinAlgError" not in reasons["constant.png"] and "nan" not in reasons["constant.png"]
