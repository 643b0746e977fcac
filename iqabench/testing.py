"""Pytest fixtures and helpers for plugin authors (and iqabench's own tests).

Load them in your ``tests/conftest.py``::

    pytest_plugins = ["iqabench.testing"]

Fixtures: ``iqabench_plugin_manager`` (a factory of fresh plugin managers), ``iqabench_registry``
(what the installed plugins register) and ``sample_images`` (small real RGB photographs as PNG files).
Helpers: :func:`check_metric` checks a metric's contract on real images; :func:`install_entry_point`
installs a one-file plugin through a real entry point, as ``pip install`` would.
"""

from __future__ import annotations

import importlib
import math
import os
import re
import sys
import textwrap
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image, ImageFilter

from .hookspecs import hookimpl
from .metric import Metric
from .plugins import PluginManager, Registry

#: the skimage.data photographs behind :func:`sample_images` and :func:`check_metric`'s default images.
SAMPLE_NAMES = ("astronaut", "chelsea", "coffee")
#: scores that differ by less than this (relative, or absolute near zero) count as equal.
REL_TOL, ABS_TOL = 1e-5, 1e-8

_installed: list[Path] = []


def sample_pictures(size: int = 96) -> list[Image.Image]:
    """The sample photographs as RGB Pillow images, longer side ``size`` (two aspect ratios)."""
    pictures = []
    for name in SAMPLE_NAMES:
        picture = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
        picture.thumbnail((size, size), Image.Resampling.LANCZOS)
        pictures.append(picture)
    return pictures


@pytest.fixture
def sample_images(tmp_path: Path) -> list[Path]:
    """A few small real RGB photographs (from ``skimage.data``) saved as PNG files."""
    folder = tmp_path / "sample_images"
    folder.mkdir()
    paths = []
    for name, picture in zip(SAMPLE_NAMES, sample_pictures()):
        path = folder / f"{name}.png"
        picture.save(path)
        paths.append(path)
    return paths


@pytest.fixture
def iqabench_plugin_manager():
    """Factory: ``iqabench_plugin_manager(discover=False, **plugins)`` -> a fresh PluginManager.

    ``discover=True`` also loads the built-in and installed plugins. Each keyword registers a plugin (a
    module or an object with ``@hookimpl`` methods) under its name.
    """

    def make(discover: bool = False, **plugins: object) -> PluginManager:
        manager = PluginManager(discover=discover)
        for name, plugin in plugins.items():
            manager.register(plugin, name)
        return manager

    return make


@pytest.fixture
def iqabench_registry() -> Registry:
    """What the built-in and installed plugins register, from a fresh manager."""
    return PluginManager().registry


def install_entry_point(tmp_path: Path, group_name: str, name: str, module_source: str) -> Path:
    """Install ``module_source`` as a module with entry point ``name`` in ``group_name``; return the folder.

    Writes the module and a ``*.dist-info`` (METADATA, entry_points.txt) into ``tmp_path/site-packages``
    and puts that folder on ``sys.path``, so :mod:`importlib.metadata` discovers it as it would an
    installed package. Pass the folder on ``PYTHONPATH`` to a subprocess. Under pytest with
    ``pytest_plugins = ["iqabench.testing"]`` it is taken off ``sys.path`` again after the test.
    """
    site = Path(tmp_path) / "site-packages"
    slug = re.sub(r"\W", "_", name)
    module = f"iqabench_ep_{slug}"
    dist = f"iqabench_ep_{slug}-0.0.0.dist-info"
    (site / dist).mkdir(parents=True)
    (site / f"{module}.py").write_text(textwrap.dedent(module_source))
    (site / dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: iqabench-ep-{slug}\nVersion: 0.0.0\n")
    (site / dist / "entry_points.txt").write_text(f"[{group_name}]\n{name} = {module}\n")
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
        _installed.append(site)
    importlib.invalidate_caches()
    return site


@pytest.fixture(autouse=True)
def _iqabench_uninstall_entry_points():
    """After each test, forget what :func:`install_entry_point` installed."""
    yield
    if not _installed:
        return
    for site in map(str, _installed):
        sys.path.remove(site)
        for name, module in list(sys.modules.items()):
            if (getattr(module, "__file__", None) or "").startswith(site + os.sep):
                del sys.modules[name]
    _installed.clear()
    importlib.invalidate_caches()


def check_metric(metric: Metric, images: Sequence[Path] | None = None) -> list[float]:
    """Load ``metric`` on the CPU, score real images twice, and check the contract; return the scores.

    ``images`` are image files (default: the sample photographs). A full-reference metric scores
    blurred copies against the originals. Images are decoded to float32 (C, H, W) tensors in [0, 1]
    with the metric's ``channels``, upscaled to its ``min_size`` when smaller. Raises AssertionError
    naming the first rule broken.
    """
    label = repr(getattr(metric, "name", metric))

    def broken(text: str, detail: object = "") -> AssertionError:
        return AssertionError(f"metric {label} breaks the rule: {text}" + (f" ({detail})" if detail else ""))

    def rule(ok: bool, text: str, detail: object = "") -> None:
        if not ok:
            raise broken(text, detail)

    rule(isinstance(metric, Metric), "it is an instance of iqabench.Metric", type(metric))
    rule(isinstance(metric.name, str) and bool(metric.name), "name is a non-empty string", repr(metric.name))
    rule(metric.kind in ("NR", "FR"), "kind is 'NR' or 'FR'", repr(metric.kind))
    rule(metric.channels in (1, 3), "channels is 1 or 3", repr(metric.channels))
    try:
        config_hash = metric.config_hash()
    except TypeError as exc:
        raise broken("config() is JSON-serialisable", exc) from exc
    available = metric.availability()
    rule(available.ok, "availability().ok, it can run here", available.reason)

    pictures = sample_pictures() if images is None else [Image.open(path) for path in images]
    refs = [_to_tensor(picture, metric) for picture in pictures] if metric.kind == "FR" else None
    if refs is not None:
        pictures = [picture.convert("RGB").filter(ImageFilter.GaussianBlur(1.5)) for picture in pictures]
    tensors = [_to_tensor(picture, metric) for picture in pictures]

    def score(indices: Sequence[int]) -> list[float]:
        batch_refs = None if refs is None else [refs[i] for i in indices]
        try:
            with torch.no_grad():
                result = list(metric.score_batch([tensors[i] for i in indices], batch_refs))
        except Exception as exc:
            raise broken("score_batch scores the images without raising", repr(exc)) from exc
        rule(len(result) == len(indices), "score_batch returns one score per image", f"{len(result)}/{len(indices)}")
        rule(all(_is_finite_number(s) for s in result), "every score is a finite number", result)
        return [float(s) for s in result]

    try:
        metric.load(torch.device("cpu"))
    except Exception as exc:
        raise broken("load(cpu) succeeds", repr(exc)) from exc
    everything = range(len(tensors))
    scores = score(everything)
    low, high = metric.score_range
    inside = all((low is None or s >= low) and (high is None or s <= high) for s in scores)
    rule(inside, f"scores lie in score_range {metric.score_range}", scores)
    again = score(everything)
    rule(_same(scores, again), "scores are deterministic: two calls agree", f"{scores} then {again}")
    alone = [score([i])[0] for i in everything]
    rule(_same(scores, alone), "an image's score does not depend on its batch", f"{scores} vs {alone} alone")
    rule(metric.config_hash() == config_hash, "config_hash() is stable across load and scoring")
    return scores


def _to_tensor(picture: Image.Image, metric: Metric) -> torch.Tensor:
    """float32 (C, H, W) in [0, 1] with the metric's channels, upscaled to its min_size when smaller."""
    picture = picture.convert("RGB" if metric.channels == 3 else "L")
    if min(picture.size) < metric.min_size:
        scale = metric.min_size / min(picture.size)
        size = tuple(math.ceil(side * scale) for side in picture.size)
        picture = picture.resize(size, Image.Resampling.BICUBIC)
    array = np.asarray(picture, dtype=np.float32) / 255.0
    return torch.from_numpy(array.reshape(array.shape[0], array.shape[1], -1)).permute(2, 0, 1).contiguous()


def _is_finite_number(value: object) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, RuntimeError):
        return False


def _same(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL) for x, y in zip(a, b))


class _Brightness(Metric):
    """The toy metric of :func:`example_setup`: the mean pixel value of an image."""

    name = "brightness"

    def score_batch(self, images, refs=None):
        return [float(image.mean()) for image in images]


class _ExamplePlugin:
    @hookimpl
    def register_metrics(self, register):
        register(_Brightness())


def example_setup(folder: str | Path) -> tuple[Registry, Path, Path]:
    """What the examples of :mod:`iqabench.api` run on, written under ``folder``.

    The installed plugins plus a toy metric ``brightness`` (the mean pixel value), registered in-process as
    ``iqabench.api``'s module docstring shows; six flat grey 16x16 images in ``<folder>/photos`` whose label
    grows with their brightness, in the layout of the built-in ``metainfo`` dataset; and the path of a score
    store, ``<folder>/scores.sqlite``.

    Returns
    -------
    tuple
        ``(registry, root, store)``.
    """
    manager = PluginManager()
    manager.register(_ExamplePlugin(), "example")
    root, store = Path(folder) / "photos", Path(folder) / "scores.sqlite"
    root.mkdir()
    for i in range(6):
        Image.new("L", (16, 16), 40 * i).save(root / f"{i}.png")
    (root / "meta_info.csv").write_text("name,mos\n" + "".join(f"{i}.png,{i + 1}\n" for i in range(6)))
    return manager.registry, root, store


__all__ = ["check_metric", "example_setup", "install_entry_point", "sample_pictures", "SAMPLE_NAMES"]
