"""iqabench.weights: resolution order, offline errors, sha256, environment variables; nothing downloads."""

import hashlib
import os
from pathlib import Path

import pytest
import torch.hub

from iqabench import hashing, pins, settings, weights
from iqabench.errors import UsageError, WeightsError
from iqabench.hashing import file_sha256

URL = "https://example.org/models/model-1234.pth"
NAME = "model-1234.pth"


@pytest.fixture(autouse=True)
def clean_environment(tmp_path, monkeypatch):
    """An empty torch hub cache, no weights folder, online, and a downloader that fails the test if called."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("IQABENCH_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("IQABENCH_OFFLINE", raising=False)
    monkeypatch.delenv("IQABENCH_TRUST_WEIGHTS", raising=False)

    def no_download(url, dst, *args, **kwargs):
        raise AssertionError(f"download attempted: {url}")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)


def write(path: Path, content: bytes = b"weights") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_cache_dir_follows_torch_home(tmp_path):
    assert weights.cache_dir("pyiqa") == tmp_path / "torch" / "hub" / "pyiqa"
    assert weights.cache_dir() == tmp_path / "torch" / "hub"


def test_resolution_order(tmp_path, monkeypatch):
    user = tmp_path / "user"
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(user))
    cached = write(weights.cache_dir("pyiqa") / NAME, b"cache")
    assert weights.resolve(NAME, url=URL, subdir="pyiqa") == cached
    flat = write(user / NAME, b"flat")
    assert weights.resolve(NAME, url=URL, subdir="pyiqa") == flat
    nested = write(user / "pyiqa" / NAME, b"nested")
    assert weights.resolve(NAME, url=URL, subdir="pyiqa") == nested
    explicit = write(tmp_path / "elsewhere" / "mine.pth", b"explicit")
    assert weights.resolve(NAME, url=URL, subdir="pyiqa", explicit=explicit) == explicit


def test_weights_dir_without_subdir(tmp_path, monkeypatch):
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "user"))
    flat = write(tmp_path / "user" / NAME)
    assert weights.resolve(NAME, url=URL) == flat


def test_explicit_path_must_exist(tmp_path):
    write(weights.cache_dir("pyiqa") / NAME)
    with pytest.raises(WeightsError, match="does not exist"):
        weights.resolve(NAME, url=URL, subdir="pyiqa", explicit=tmp_path / "nope.pth")


def test_find_never_downloads(tmp_path, monkeypatch):
    assert weights.find(NAME, "pyiqa") is None
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "user"))
    path = write(tmp_path / "user" / "pyiqa" / NAME)
    assert weights.find(NAME, "pyiqa") == path
    assert weights.find(NAME, "other") is None


def test_downloads_into_cache_when_online(monkeypatch):
    calls = []

    def fake_download(url, dst, *args, **kwargs):
        calls.append(url)
        Path(dst).write_bytes(b"downloaded")

    monkeypatch.setattr(torch.hub, "download_url_to_file", fake_download)
    path = weights.resolve(NAME, url=URL, subdir="pyiqa")
    assert path == weights.cache_dir("pyiqa") / NAME
    assert path.read_bytes() == b"downloaded"
    assert calls == [URL]
    assert pins.downloaded_sha256(path) == hashlib.sha256(b"downloaded").hexdigest()  # recorded beside it
    assert weights.resolve_verified(NAME, url=URL, subdir="pyiqa").basis == "downloaded"
    assert weights.resolve(NAME, url=URL, subdir="pyiqa") == path  # cached now: no second download
    assert calls == [URL]


def test_failed_download_names_file_and_url(monkeypatch):
    def failing(url, dst, *args, **kwargs):
        raise OSError("no route to host")

    monkeypatch.setattr(torch.hub, "download_url_to_file", failing)
    with pytest.raises(WeightsError) as info:
        weights.resolve(NAME, url=URL, subdir="pyiqa")
    message = str(info.value)
    assert "downloading it failed (OSError: no route to host)" in message
    assert NAME in message and URL in message


def test_missing_without_url():
    with pytest.raises(WeightsError, match="no download URL is known"):
        weights.resolve(NAME, subdir="pyiqa")


@pytest.mark.parametrize("how", ["argument", "env", "override"])
def test_offline_error_names_file_url_and_folders(how, monkeypatch):
    if how == "env":
        monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    with pytest.raises(WeightsError) as info, settings.overrides(offline=how == "override" or None):
        weights.resolve(NAME, url=URL, subdir="pyiqa", offline=True if how == "argument" else None)
    message = str(info.value)
    assert f"Weight file {NAME!r} is missing and downloads are off" in message
    assert f"Download it from {URL}" in message
    assert str(weights.cache_dir("pyiqa")) in message
    assert "IQABENCH_WEIGHTS_DIR" in message


def test_offline_error_lists_the_weights_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "user"))
    with pytest.raises(WeightsError) as info:
        weights.resolve(NAME, url=URL, subdir="pyiqa", offline=True)
    message = str(info.value)
    assert f"{tmp_path / 'user' / 'pyiqa'}  ($IQABENCH_WEIGHTS_DIR)" in message
    assert f"{tmp_path / 'user'}  ($IQABENCH_WEIGHTS_DIR)" in message


def test_offline_still_finds_local_files():
    path = write(weights.cache_dir("pyiqa") / NAME)
    assert weights.resolve(NAME, url=URL, subdir="pyiqa", offline=True) == path


@pytest.mark.parametrize("value, offline", [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("", False)])
def test_offline_environment_values(value, offline, monkeypatch):
    monkeypatch.setenv("IQABENCH_OFFLINE", value)
    assert weights.is_offline() is offline


def test_offline_false_cannot_override_the_user(monkeypatch):
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    assert weights.is_offline(False) is True
    monkeypatch.setenv("IQABENCH_OFFLINE", "0")
    with settings.overrides(offline=True):
        assert weights.is_offline(False) is True
    assert weights.is_offline() is False  # the override ends with its block; os.environ was never written


def test_an_unreadable_offline_value_is_a_usage_error(monkeypatch):
    monkeypatch.setenv("IQABENCH_OFFLINE", "perhaps")
    with pytest.raises(UsageError, match="IQABENCH_OFFLINE='perhaps' is not a yes/no value"):
        weights.is_offline()


def test_sha256_streams_and_follows_changes(tmp_path):
    content = os.urandom(3 * (1 << 20) + 17)  # spans several read chunks
    path = write(tmp_path / "w.bin", content)
    assert file_sha256(path) == hashlib.sha256(content).hexdigest()
    hits = hashing._sha256.cache_info().hits
    assert file_sha256(str(path)) == hashlib.sha256(content).hexdigest()
    assert hashing._sha256.cache_info().hits == hits + 1
    write(path, b"changed")
    assert file_sha256(path) == hashlib.sha256(b"changed").hexdigest()


def test_sha256_of_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        file_sha256(tmp_path / "absent.bin")
