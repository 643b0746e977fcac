"""The pyiqa plugin with the real pyiqa: listing, metadata, weight routing, calibration, weight-free metrics.

Every test runs offline with an empty torch hub cache and a guard that fails it on any network
connection; weights come only from ../shared/weights or from files the test writes itself.
"""

import csv
import functools
import hashlib
import importlib.machinery
import json
import os
import re
import subprocess
import sys
import types
from importlib.metadata import version

import pytest
import torch
from shared_data import SHARED, requires_shared, shared_file

from iqabench import Metric, hookimpl, weights
from iqabench.errors import UsageError, WeightsError
from iqabench.hashing import file_sha256
from iqabench.images import load_image
from iqabench.plugins import PluginManager
from iqabench.testing import check_metric
from iqabench_pyiqa import configs
from iqabench_pyiqa import plugin as pyiqa_plugin
from iqabench_pyiqa.catalog import MIN_SIZES, NAMED, ONE_AT_A_TIME, WEIGHT_FREE, WEIGHTS_URL
from iqabench_pyiqa.configs import INSTALL_HINT, default_configs, parse_score_range
from iqabench_pyiqa.fetch import Fetches, routed_fetches
from iqabench_pyiqa.metric import PyiqaMetric

PYIQA_MISSING = default_configs() is None
CALIB_NAMES = ("I03", "I04", "I06", "I08", "I19")
#: pyiqa's NIQE and BRISQUE with the official parameters on calib/dist_dir, from ../shared/README.md.
README_SCORES = {
    "niqe": (15.6558, 3.6549, 3.2342, 3.1917, 9.0727),
    "brisque": (94.6440, -0.1152, 1.0748, 5.1383, 66.8348),
}


def needs_pyiqa(test):
    """Mark a test that needs the optional pyiqa extra; skipped, with the reason, without it."""
    reason = f"pyiqa is not installed ({INSTALL_HINT})"
    return pytest.mark.pyiqa(pytest.mark.skipif(PYIQA_MISSING, reason=reason)(test))


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch, no_network):
    """Offline, an empty torch hub cache, no weights folder; any network connection fails the test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    monkeypatch.delenv("IQABENCH_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("IQABENCH_TRUST_WEIGHTS", raising=False)
    if not PYIQA_MISSING:  # an empty Hugging Face cache too (huggingface_hub comes with pyiqa)
        import huggingface_hub.constants

        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))


@pytest.fixture(scope="module")
def registry():
    manager = PluginManager(discover=False)
    manager.register(pyiqa_plugin, "pyiqa")
    return manager.registry


def fresh(registry, name: str) -> PyiqaMetric:
    """A new instance of the registered metric ``name`` (loading changes an instance)."""
    return type(registry.metrics[name])()


def calib(folder: str = "dist_dir") -> list[torch.Tensor]:
    return [load_image(shared_file(f"data/calib/{folder}/{name}.bmp")) for name in CALIB_NAMES]


def official(metric: str) -> list[float]:
    with open(shared_file("data/calib/results_official.csv"), newline="") as handle:
        row = next(r for r in csv.reader(handle) if r[0] == metric)
    return [float(value) for value in row[1:]]


def use_shared_weights(monkeypatch, name: str):
    """The shared weights folder as IQABENCH_WEIGHTS_DIR; the test skips, naming the file, where a weight file
    of the metric ``name`` is absent there."""
    for file_name in NAMED[name].weight_files if name in NAMED else ():
        shared_file(f"weights/pyiqa/{file_name}")
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(SHARED / "weights"))


# -- listing and metadata -----------------------------------------------------------------------


@needs_pyiqa
def test_listing_reads_the_table_without_importing_pyiqa(tmp_path):
    code = (
        "import json, sys, time\n"
        "import iqabench\n"
        "from iqabench.plugins import PluginManager\n"
        "manager = PluginManager(discover=False)\n"
        "import iqabench_pyiqa.plugin as plugin\n"
        "manager.register(plugin, 'pyiqa')\n"
        "start = time.perf_counter()\n"
        "names = sorted(manager.registry.metrics)\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pyiqa', 'transformers', 'timm'))\n"
        "print(json.dumps({'names': names, 'heavy': heavy, 'seconds': time.perf_counter() - start}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    listing = json.loads(result.stdout)
    assert listing["heavy"] == []
    assert listing["seconds"] < 2.0
    expected = {name if name in NAMED else f"pyiqa:{name}" for name in default_configs()}
    assert set(listing["names"]) == expected
    assert {"niqe", "brisque", "musiq", "pyiqa:ssim", "pyiqa:lpips"} <= expected
    assert "pyiqa:niqe" not in expected


@needs_pyiqa
def test_every_pyiqa_metric_carries_pyiqas_config(registry):
    from pyiqa.default_model_configs import DEFAULT_CONFIGS

    assert len(registry.metrics) == len(DEFAULT_CONFIGS)
    for name, config in DEFAULT_CONFIGS.items():
        metric = registry.metrics[name if name in NAMED else f"pyiqa:{name}"]
        assert metric.pyiqa_name == name
        assert metric.kind == config["metric_mode"]
        assert metric.lower_better is bool(config.get("lower_better", False))
        assert metric.score_range == parse_score_range(config["score_range"])
        assert metric.pyiqa_options == config["metric_opts"]


@needs_pyiqa
@pytest.mark.parametrize(
    "name, kind, lower_better, score_range",
    [
        ("pyiqa:ssim", "FR", False, (0.0, 1.0)),
        ("pyiqa:lpips", "FR", True, (0.0, 1.0)),
        ("pyiqa:psnr", "FR", False, (0.0, 40.0)),
        ("pyiqa:piqe", "NR", True, (0.0, 100.0)),
        ("pyiqa:mad", "FR", True, (0.0, None)),
        ("pyiqa:afine_all", "FR", True, (None, 2.0)),
        ("niqe", "NR", True, (0.0, 100.0)),
        ("brisque", "NR", True, (0.0, 150.0)),
        ("musiq", "NR", False, (0.0, 100.0)),
    ],
)
def test_kind_direction_and_range(registry, name, kind, lower_better, score_range):
    metric = registry.metrics[name]
    assert (metric.kind, metric.lower_better, metric.score_range) == (kind, lower_better, score_range)


@needs_pyiqa
def test_named_metrics_fallback_agrees_with_pyiqa(registry):
    for name, named in NAMED.items():
        metric = registry.metrics[name]
        assert (named.kind, named.lower_better, named.score_range) == (metric.kind, metric.lower_better, metric.score_range)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("~0, ~100", (0.0, 100.0)),
        ("0, 1", (0.0, 1.0)),
        ("0, ~", (0.0, None)),
        ("~, 2", (None, 2.0)),
        ("~-1, ~0.1", (-1.0, 0.1)),
        ("quality: 0, 1; rank: 0, 2; rank_prob: 0, 1", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_parse_score_range(text, expected):
    assert parse_score_range(text) == expected


@needs_pyiqa
def test_config_names_pyiqa_version_metric_and_options(registry):
    metric = registry.metrics["niqe"]
    config = metric.config()
    assert config["pyiqa"] == version("pyiqa")
    assert config["pyiqa_name"] == "niqe"
    assert config["pyiqa_options"] == {"type": "NIQE", "test_y_channel": True}
    hashes = {m.config_hash() for m in registry.metrics.values()}
    assert len(hashes) == len(registry.metrics)
    changed = type("Changed", (type(metric),), {"pyiqa_options": {"type": "NIQE", "test_y_channel": False}})()
    assert changed.config_hash() != metric.config_hash()


@needs_pyiqa
@pytest.mark.parametrize("name", ["pyiqa:fid", "pyiqa:sfid", "pyiqa:inception_score", "pyiqa:clipscore", "pyiqa:fgresq_pair"])
def test_metrics_without_one_score_per_image_are_listed_as_unavailable(registry, name):
    metric = fresh(registry, name)
    availability = metric.availability()
    assert not availability.ok and name in availability.reason
    with pytest.raises(UsageError, match=name):
        metric.load(torch.device("cpu"))


class OtherPlugin:
    @hookimpl
    def register_metrics(self, register):
        register(type("Other", (Metric,), {"name": "other"})())


def test_without_pyiqa_only_the_named_metrics_say_how_to_install(monkeypatch, iqabench_plugin_manager):
    monkeypatch.setitem(sys.modules, "pyiqa", None)  # as if not installed: find_spec and import both fail
    configs.default_configs.cache_clear()
    try:
        registry = iqabench_plugin_manager(pyiqa=pyiqa_plugin, other=OtherPlugin()).registry
        assert set(registry.metrics) == {"niqe", "brisque", "musiq", "other"}
        assert registry.broken == []
        for name in NAMED:
            availability = registry.metrics[name].availability()
            assert not availability.ok and INSTALL_HINT in availability.reason
        with pytest.raises(UsageError, match=r"needs pyiqa, which is not installed: pip install 'iqabench\[pyiqa\]'"):
            registry.metrics["musiq"].load(torch.device("cpu"))
    finally:
        configs.default_configs.cache_clear()


def test_a_pyiqa_without_its_table_breaks_only_this_plugin(tmp_path, monkeypatch, iqabench_plugin_manager):
    spec = importlib.machinery.ModuleSpec("pyiqa", None, is_package=True)
    spec.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(configs.importlib.util, "find_spec", lambda name: spec if name == "pyiqa" else None)
    configs.default_configs.cache_clear()
    try:
        registry = iqabench_plugin_manager(pyiqa=pyiqa_plugin, other=OtherPlugin()).registry
    finally:
        configs.default_configs.cache_clear()
    assert set(registry.metrics) == {"other"}
    [broken] = registry.broken
    assert broken.name == "pyiqa" and "has no default_model_configs.py" in broken.error


# -- weights ------------------------------------------------------------------------------------


@needs_pyiqa
def test_musiq_without_weights_offline_refuses_and_says_where(registry):
    metric = fresh(registry, "musiq")
    file_name = "musiq_koniq_ckpt-e95806b9.pth"
    availability = metric.availability()
    assert not availability.ok and availability.state == "unavailable"
    assert "is missing and downloads are off" in availability.reason
    assert WEIGHTS_URL.format(file_name) in availability.reason
    with pytest.raises(WeightsError) as info:
        metric.load(torch.device("cpu"))
    message = str(info.value)
    assert file_name in message
    assert WEIGHTS_URL.format(file_name) in message
    assert str(weights.cache_dir("pyiqa")) in message
    assert "IQABENCH_WEIGHTS_DIR" in message
    assert metric.weights == {}


@needs_pyiqa
@requires_shared
@pytest.mark.parametrize("name", ["niqe", "brisque"])
def test_declared_weight_files_are_what_pyiqa_fetches(registry, monkeypatch, name):
    use_shared_weights(monkeypatch, name)
    metric = fresh(registry, name)
    assert metric.availability().ok
    metric.load(torch.device("cpu"))
    assert set(metric.weights) == set(NAMED[name].weight_files)
    for file_name, digest in metric.weights.items():
        assert digest == hashlib.sha256((SHARED / "weights" / "pyiqa" / file_name).read_bytes()).hexdigest()


@needs_pyiqa
def test_musiq_fetches_only_its_koniq_checkpoint(registry, tmp_path, monkeypatch):
    """MUSIQ with a checkpoint of the right shape (untrained weights written here): no ImageNet backbone is fetched."""
    from pyiqa.archs.musiq_arch import MUSIQ

    (tmp_path / "weights").mkdir()
    checkpoint = tmp_path / "weights" / NAMED["musiq"].weight_files[0]
    torch.save(MUSIQ(pretrained=False).state_dict(), checkpoint)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("IQABENCH_TRUST_WEIGHTS", str(checkpoint))  # not the pinned file: trusted explicitly
    metric = fresh(registry, "musiq")
    assert metric.availability().ok
    metric.load(torch.device("cpu"))
    assert metric.weights == {checkpoint.name: file_sha256(checkpoint)}
    images = [torch.rand(3, 64, 96), torch.rand(3, 80, 80), torch.rand(3, 64, 96)]  # MUSIQ returns (B, 1)
    scores = metric.score_batch(images)
    assert scores == pytest.approx([metric.score_batch([image])[0] for image in images], rel=1e-5)


@needs_pyiqa
def test_torch_hub_backbones_are_routed(registry, tmp_path, monkeypatch):
    """LPIPS: torchvision's AlexNet goes through weights.resolve (found in IQABENCH_WEIGHTS_DIR/checkpoints)."""
    import pyiqa
    import torchvision

    alexnet = "alexnet-owt-7be5be79.pth"
    with pytest.raises(WeightsError) as info:
        fresh(registry, "pyiqa:lpips").load(torch.device("cpu"))
    message = str(info.value)
    assert alexnet in message and f"https://download.pytorch.org/models/{alexnet}" in message
    assert str(weights.cache_dir("checkpoints")) in message

    (tmp_path / "weights" / "checkpoints").mkdir(parents=True)
    torch.save(torchvision.models.alexnet().state_dict(), tmp_path / "weights" / "checkpoints" / alexnet)
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    with pytest.raises(WeightsError, match="its name says its sha256 begins with 7be5be79"):  # untrained, written here
        fresh(registry, "pyiqa:lpips").load(torch.device("cpu"))
    monkeypatch.setenv("IQABENCH_TRUST_WEIGHTS", str(tmp_path / "weights"))  # a trusted folder
    fetches = Fetches(offline=True)
    with pytest.raises(WeightsError, match="LPIPS_v0.1_alex-df73285e.pth"), routed_fetches(fetches):
        pyiqa.create_metric("lpips", device=torch.device("cpu"))
    assert fetches.files == {alexnet: file_sha256(tmp_path / "weights" / "checkpoints" / alexnet)}


@needs_pyiqa
def test_hugging_face_downloads_are_offline(registry):
    with pytest.raises(WeightsError) as info:
        fresh(registry, "pyiqa:topiq_nr").load(torch.device("cpu"))
    message = str(info.value)
    assert "Hugging Face Hub file 'timm/resnet50.a1_in1k/model.safetensors' is missing" in message
    assert "downloads are off" in message


@needs_pyiqa
def test_clip_downloads_are_routed(registry):
    with pytest.raises(WeightsError) as info:
        fresh(registry, "pyiqa:afine_nr").load(torch.device("cpu"))
    message = str(info.value)
    assert "Weight file 'ViT-B-32.pt' is missing" in message
    assert "https://openaipublic.azureedge.net/clip/models/" in message
    assert str(weights.cache_dir("clip")) in message


@needs_pyiqa
def test_clip_files_must_have_the_sha256_their_url_names(registry, tmp_path, monkeypatch):
    (tmp_path / "weights" / "clip").mkdir(parents=True)
    (tmp_path / "weights" / "clip" / "ViT-B-32.pt").write_bytes(b"not CLIP")
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    with pytest.raises(WeightsError) as info:
        fresh(registry, "pyiqa:afine_nr").load(torch.device("cpu"))
    message = str(info.value)
    assert "ViT-B-32.pt is pinned to sha256 40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af" in message
    assert hashlib.sha256(b"not CLIP").hexdigest() in message


def routed_bindings() -> list[str]:
    """Every module attribute that still holds a routed fetch function (directly or in a partial)."""
    found = []
    for module_name, module in list(sys.modules.items()):
        for attribute, value in list(getattr(module, "__dict__", {}).items()):
            function = value.func if type(value) is functools.partial else value  # type(): no lazy attribute fires
            if type(function) is types.FunctionType and re.match(r"_route_\w+\.<locals>\.", function.__qualname__):
                found.append(f"{module_name}.{attribute}")
    return found


@needs_pyiqa
def test_loading_leaves_no_routed_function_behind(registry):
    """Also modules that pyiqa first imports while it builds the metric get the originals back."""
    for name in ("pyiqa:ssim", "pyiqa:piqe", "musiq"):
        try:
            fresh(registry, name).load(torch.device("cpu"))
        except WeightsError:
            pass
    assert routed_bindings() == []


@needs_pyiqa
def test_routing_is_undone_after_the_block():
    import huggingface_hub.constants
    import huggingface_hub.file_download
    import timm.models._hub
    from pyiqa.archs import niqe_arch
    from pyiqa.utils import download_util

    original = download_util.load_file_from_url
    hf_original = huggingface_hub.file_download.hf_hub_download
    flag, env = huggingface_hub.constants.HF_HUB_OFFLINE, os.environ.get("HF_HUB_OFFLINE")
    fetches = Fetches(offline=True)
    with routed_fetches(fetches):
        assert niqe_arch.load_file_from_url is not original
        assert timm.models._hub.hf_hub_download.func is not hf_original  # timm binds a functools.partial
        assert huggingface_hub.constants.HF_HUB_OFFLINE is True and os.environ["HF_HUB_OFFLINE"] == "1"
        with pytest.raises(WeightsError, match="niqe_modelparameters.mat"):
            niqe_arch.load_file_from_url(WEIGHTS_URL.format("niqe_modelparameters.mat"))
        assert routed_bindings()
    assert routed_bindings() == []
    assert niqe_arch.load_file_from_url is original
    assert timm.models._hub.hf_hub_download.func is hf_original
    assert huggingface_hub.constants.HF_HUB_OFFLINE is flag and os.environ.get("HF_HUB_OFFLINE") == env


@needs_pyiqa
def test_a_swallowed_missing_file_still_refuses():
    """A library that catches a missing required file would go on with random weights; load() refuses."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError
    from pyiqa.archs import arch_util

    fetches = Fetches(offline=True)
    with routed_fetches(fetches):
        with pytest.raises(WeightsError):
            arch_util.load_file_from_url(WEIGHTS_URL.format("CNNIQA_koniq10k-e6f14c91.pth"))
    with pytest.raises(WeightsError, match="CNNIQA_koniq10k"):
        fetches.raise_if_missing()

    optional = Fetches(offline=True)  # transformers asks for optional files and goes on without them
    with routed_fetches(optional):
        with pytest.raises(LocalEntryNotFoundError):
            huggingface_hub.hf_hub_download("q-future/some-model", "processor_config.json")
    optional.raise_if_missing()
    with pytest.raises(WeightsError, match="processor_config.json"):
        optional.raise_if_missing(RuntimeError("construction failed"))


@needs_pyiqa
@pytest.mark.parametrize("name", sorted(WEIGHT_FREE))
def test_weight_free_metrics_load_and_score_offline_without_weights(registry, name):
    metric = fresh(registry, f"pyiqa:{name}")
    assert metric.weight_files() == {} and metric.availability().ok
    check_metric(metric)
    assert metric.weights == {}
    assert metric.identity().weights_hash == "none"


@needs_pyiqa
@pytest.mark.slow
def test_every_other_metric_needs_something_it_cannot_get_offline(registry):
    """WEIGHT_FREE is complete: each other pyiqa metric fails to load offline with empty caches."""
    loaded = []
    for metric in registry.metrics.values():
        if metric.unsupported or metric.pyiqa_name in WEIGHT_FREE:
            continue
        try:
            fresh(registry, metric.name).load(torch.device("cpu"))
        except Exception:
            continue
        loaded.append(metric.name)
    assert loaded == []


# -- calibration and scoring ----------------------------------------------------------------------


@needs_pyiqa
@requires_shared
@pytest.mark.parametrize("name, tolerance, floor", [("niqe", 0.06, 0.0), ("brisque", 0.08, 0.1)])
def test_calibration_against_pyiqa_and_official_scores(registry, monkeypatch, name, tolerance, floor):
    """pyiqa's numbers within 0.1 %, the official implementations' within 6 % (NIQE) and 8 % (BRISQUE).

    BRISQUE has scores near zero (I04 -0.115, I06 1.07), where no relative tolerance means much: there
    the bound is also absolute, 0.01 against pyiqa (float32 noise) and 0.1 against the official code,
    0.07 % of BRISQUE's 0-150 range.
    """
    use_shared_weights(monkeypatch, name)
    metric = fresh(registry, name)
    metric.load(torch.device("cpu"))
    scores = metric.score_batch(calib())
    assert scores == pytest.approx(README_SCORES[name], rel=1e-3, abs=floor / 10)
    assert scores == pytest.approx(official(name), rel=tolerance, abs=floor)


@needs_pyiqa
@requires_shared
def test_images_of_different_shapes_are_scored_apart(registry, monkeypatch):
    use_shared_weights(monkeypatch, "niqe")
    metric = fresh(registry, "niqe")
    metric.load(torch.device("cpu"))
    images = calib()
    mixed = [images[0], images[1][:, :200, :300], images[2], images[3][:, :, :256]]
    alone = [metric.score_batch([image])[0] for image in mixed]  # one image: pyiqa returns a 0-d tensor
    assert metric.score_batch(mixed) == pytest.approx(alone, rel=1e-9)


@needs_pyiqa
@requires_shared
def test_brisque_scores_do_not_depend_on_the_batch(registry, monkeypatch):
    """float32 BRISQUE moves with the images stacked beside it, so it is scored one image at a time."""
    assert "brisque" in ONE_AT_A_TIME
    use_shared_weights(monkeypatch, "brisque")
    metric = fresh(registry, "brisque")
    metric.load(torch.device("cpu"))
    images = calib()
    assert metric.score_batch(images) == [metric.score_batch([image])[0] for image in images]


@needs_pyiqa
def test_full_reference_metrics_need_one_reference_per_image(registry):
    metric = fresh(registry, "pyiqa:ssim")
    metric.load(torch.device("cpu"))
    image = torch.rand(3, 32, 32)
    assert metric.score_batch([image], [image]) == [pytest.approx(1.0)]
    with pytest.raises(ValueError, match="one reference per image"):
        metric.score_batch([image, image], [image])


@needs_pyiqa
@requires_shared
@pytest.mark.parametrize("name", sorted(MIN_SIZES))
@pytest.mark.filterwarnings("ignore:std:UserWarning")  # GMSD one pixel below its limit
def test_min_size_is_pyiqas_real_limit(registry, monkeypatch, name):
    """At min_size pyiqa gives a finite score; one pixel less, it raises or returns NaN."""
    use_shared_weights(monkeypatch, name)
    metric = fresh(registry, name if name in NAMED else f"pyiqa:{name}")
    assert metric.min_size == MIN_SIZES[name]
    metric.load(torch.device("cpu"))
    image, ref = (load_image(shared_file(f"data/calib/{folder}/I04.bmp")) for folder in ("dist_dir", "ref_dir"))

    def score(side: int) -> float:
        refs = [ref[:, :side, :side]] if metric.kind == "FR" else None
        return metric.score_batch([image[:, :side, :side]], refs)[0]

    score(metric.min_size)
    with pytest.raises((ValueError, RuntimeError, IndexError)):
        score(metric.min_size - 1)
