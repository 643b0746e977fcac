"""The plugin manager: entry points, broken plugins, name clashes, the environment switches, and hooks."""

import ast
import itertools
import math
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from iqabench_datasets import plugin as datasets_plugin

from iqabench import Availability, DatasetCard, DatasetSpec, Metric, Sample, Trainer, hookimpl, hookspecs
from iqabench.dataset import ReadResult, open_dataset
from iqabench.errors import UsageError
from iqabench.plugins import BUILTIN_PLUGINS, BrokenPlugin, PluginManager
from iqabench.testing import check_metric, install_entry_point

TESTS = Path(__file__).parent

#: a one-file metric plugin, installed through a real entry point by the tests that need one.
CHROMA_PLUGIN = """
    import iqabench

    class Chroma(iqabench.Metric):
        name = "chroma"
        score_range = (0.0, 1.0)

        def score_batch(self, images, refs=None):
            return [float((image.amax(0) - image.amin(0)).mean()) for image in images]

    @iqabench.hookimpl
    def register_metrics(register):
        register(Chroma())
"""
BROKEN_PLUGIN = 'raise ImportError("libfoo is not installed")'


@pytest.fixture(autouse=True)
def _no_plugin_switches(monkeypatch):
    monkeypatch.delenv("IQABENCH_PLUGINS", raising=False)
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)


class Brightness(Metric):
    name = "brightness"
    score_range = (0.0, 1.0)

    def score_batch(self, images, refs=None):
        return [float(image.mean()) for image in images]


class Contrast(Metric):
    name = "contrast"

    def score_batch(self, images, refs=None):
        return [float(image.std()) for image in images]


class Registers:
    """A plugin object whose hooks register the given metrics and datasets."""

    def __init__(self, *metrics, datasets=()):
        self.metrics, self.datasets = metrics, datasets

    @hookimpl
    def register_metrics(self, register):
        for metric in self.metrics:
            register(metric)

    @hookimpl
    def register_datasets(self, register):
        for dataset in self.datasets:
            register(dataset)


class Raises:
    @hookimpl
    def register_metrics(self, register):
        raise RuntimeError("weights index is corrupt")


def plugin_names(manager) -> set[str]:
    return {name for name, _ in manager.pm.list_name_plugin()}


# -- entry points ------------------------------------------------------------------------------


def test_builtin_plugins_load_by_import_and_not_through_entry_points(iqabench_plugin_manager, iqabench_registry):
    """A source checkout has the built-ins without being installed; none is also an entry point (it would load
    twice)."""
    assert not {ep.name for ep in entry_points(group="iqabench")} & set(BUILTIN_PLUGINS)
    manager = iqabench_plugin_manager(discover=True)
    assert set(BUILTIN_PLUGINS) <= plugin_names(manager)
    for name, module in BUILTIN_PLUGINS.items():
        assert manager.pm.get_plugin(name).__name__ == module
        assert iqabench_registry.versions[name].startswith("iqabench ")
    assert plugin_names(iqabench_plugin_manager(discover=False)) == set()


def test_entry_point_plugin_is_registered_and_scores_images(tmp_path, iqabench_plugin_manager, sample_images):
    install_entry_point(tmp_path, "iqabench", "chroma", CHROMA_PLUGIN)
    registry = iqabench_plugin_manager(discover=True).registry
    assert registry.owners[("metric", "chroma")] == "chroma"
    assert registry.versions["chroma"] == "iqabench-ep-chroma 0.0.0"
    scores = check_metric(registry.metric("chroma"), sample_images)
    assert len(set(scores)) == len(sample_images)  # three different photographs, three different scores


@pytest.mark.parametrize(
    "source, error",
    [
        (BROKEN_PLUGIN, "ImportError: libfoo is not installed"),
        ("import iqabench\n@iqabench.hookimpl\ndef register_metrics(regsiter): pass\n", "PluginValidationError"),
        ("import iqabench\n@iqabench.hookimpl\ndef register_metric(register): pass\n",
         "PluginValidationError: unknown hook register_metric"),
    ],
    ids=["import-error", "bad-hook-signature", "misspelled-hook"],
)
def test_broken_plugin_is_recorded_and_the_others_load(tmp_path, iqabench_plugin_manager, source, error):
    install_entry_point(tmp_path, "iqabench", "chroma", CHROMA_PLUGIN)
    install_entry_point(tmp_path, "iqabench", "needs-libfoo", source)
    manager = iqabench_plugin_manager(discover=True)
    [broken] = manager.registry.broken
    assert broken.name == "needs-libfoo" and broken.error.startswith(error)
    assert {"datasets", "pyiqa", "chroma"} <= plugin_names(manager)
    assert "needs-libfoo" not in plugin_names(manager)
    assert "chroma" in manager.registry.metrics


def test_iqabench_plugins_loads_only_those_named(tmp_path, monkeypatch, iqabench_plugin_manager):
    install_entry_point(tmp_path, "iqabench", "chroma", CHROMA_PLUGIN)
    install_entry_point(tmp_path, "iqabench", "needs-libfoo", BROKEN_PLUGIN)
    monkeypatch.setenv("IQABENCH_PLUGINS", " chroma, datasets ")
    manager = iqabench_plugin_manager(discover=True)
    assert plugin_names(manager) == {"chroma", "datasets"}
    assert manager.registry.broken == []


def test_iqabench_disable_plugins_skips_those_named(tmp_path, monkeypatch, iqabench_plugin_manager):
    install_entry_point(tmp_path, "iqabench", "chroma", CHROMA_PLUGIN)
    install_entry_point(tmp_path, "iqabench", "needs-libfoo", BROKEN_PLUGIN)
    monkeypatch.setenv("IQABENCH_DISABLE_PLUGINS", "needs-libfoo,pyiqa")
    manager = iqabench_plugin_manager(discover=True)
    assert {"chroma", "datasets"} <= plugin_names(manager)
    assert not {"needs-libfoo", "pyiqa"} & plugin_names(manager)
    assert manager.registry.broken == []


# -- what plugins register -----------------------------------------------------------------------


def test_hook_that_raises_is_recorded_and_the_others_register(iqabench_plugin_manager):
    registry = iqabench_plugin_manager(good=Registers(Brightness()), bad=Raises()).registry
    assert registry.broken == [BrokenPlugin("bad", "RuntimeError: weights index is corrupt")]
    assert list(registry.metrics) == ["brightness"]


def test_a_misspelled_hook_marks_its_plugin_broken(iqabench_plugin_manager):
    class Misspelled:
        @hookimpl
        def register_metric(self, register):
            register(Contrast())

    manager = PluginManager(discover=False)
    with pytest.raises(Exception, match="unknown hook register_metric"):
        manager.register(Misspelled(), "typo")
    assert "typo" not in plugin_names(manager)


def test_two_plugins_registering_one_metric_name_break_the_second(iqabench_plugin_manager):
    registry = iqabench_plugin_manager(first=Registers(Contrast()), second=Registers(Contrast(), Brightness())).registry
    [broken] = registry.broken
    assert broken.name == "second" and "metric 'contrast' is registered by two plugins: 'first' and 'second'" in broken.error
    assert registry.owners == {("metric", "contrast"): "first"}  # nothing of the broken plugin is kept


@pytest.mark.parametrize(
    "item, message",
    [
        ("niqe", "plugin 'odd' registered 'niqe' as a metric; register() takes an instance of iqabench.Metric"),
        (Metric(), "plugin 'odd' registered a metric without a name"),
    ],
)
def test_registering_something_else_than_a_named_metric_breaks_the_plugin(iqabench_plugin_manager, item, message):
    registry = iqabench_plugin_manager(odd=Registers(item), good=Registers(Brightness())).registry
    [broken] = registry.broken
    assert broken.name == "odd" and message in broken.error
    assert list(registry.metrics) == ["brightness"]


def test_unknown_metric_names_the_known_ones_and_the_broken_plugins(iqabench_plugin_manager):
    registry = iqabench_plugin_manager(good=Registers(Brightness(), Contrast()), bad=Raises()).registry
    with pytest.raises(UsageError) as raised:
        registry.metric("brightnes")
    assert str(raised.value) == (
        "Unknown metric 'brightnes'. Known metrics: brightness, contrast. Did you mean 'brightness'? "
        "Plugins that failed to load: "
        "bad (RuntimeError: weights index is corrupt)"
    )


# -- one test per hook, and the guard that keeps it so -------------------------------------------


def test_hook_register_metrics(iqabench_plugin_manager):
    registry = iqabench_plugin_manager(mine=Registers(Brightness(), Contrast())).registry
    assert registry.metric("brightness") is registry.metrics["brightness"]
    assert registry.owners == {("metric", "brightness"): "mine", ("metric", "contrast"): "mine"}


def test_hook_register_datasets(iqabench_plugin_manager, sample_images):
    def read(card, root, options):
        return ReadResult([Sample(id=path.name, path=path) for path in sorted(root.glob("*.png"))])

    spec = DatasetSpec(DatasetCard(name="samples", format="folder"), read)
    registry = iqabench_plugin_manager(mine=Registers(datasets=[spec])).registry
    assert registry.owners == {("dataset", "samples"): "mine"}
    dataset = open_dataset(registry.dataset("samples"), sample_images[0].parent)
    assert [sample.path for sample in dataset.samples] == sorted(sample_images)


class RegistersTrainers:
    def __init__(self, *trainers):
        self.trainers = trainers

    @hookimpl
    def register_trainers(self, register):
        for trainer in self.trainers:
            register(trainer)


def test_hook_register_trainers(iqabench_plugin_manager):
    import click
    import click.testing

    @click.command(name="toy")
    @click.option("--steps", type=int, default=1)
    def toy(steps):
        click.echo(f"trained {steps} steps")

    trainer = Trainer("toy", "a toy recipe", lambda: toy)
    registry = iqabench_plugin_manager(mine=RegistersTrainers(trainer), bad=RegistersTrainers("not a trainer")).registry
    assert registry.trainer("toy") is trainer and registry.owners == {("trainer", "toy"): "mine"}
    assert [b.name for b in registry.broken] == ["bad"] and "instance of iqabench.Trainer" in registry.broken[0].error
    assert click.testing.CliRunner().invoke(trainer.command(), ["--steps", "3"]).output == "trained 3 steps\n"
    with pytest.raises(UsageError, match="Unknown trainer 'toi'. Known trainers: toy"):
        registry.trainer("toi")


def untested_hooks() -> list[str]:
    """Hooks with no test function in tests/ whose name contains ``test_hook_<hook>``."""
    tests = [
        node.name
        for path in TESTS.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
    ]
    return [hook for hook in hookspecs.names() if not any(f"test_hook_{hook}" in test for test in tests)]


def test_every_hook_has_a_test():
    missing = untested_hooks()
    assert not missing, f"hooks without a test: {missing}; add a test function named test_hook_<hook> in tests/"


def test_the_hook_guard_catches_a_new_hook(monkeypatch):
    @hookspecs.hookspec
    def prepare_run(run):
        """A hook added to hookspecs.py without a test."""

    monkeypatch.setattr(hookspecs, "prepare_run", prepare_run, raising=False)
    assert untested_hooks() == ["prepare_run"]


# -- check_metric, the contract check plugin authors run -----------------------------------------


def variant(**overrides) -> Metric:
    """A Brightness metric with some attributes or methods replaced."""
    return type("Variant", (Brightness,), overrides)()


def counting(self, images, refs=None):
    return [float(next(self.calls))] * len(images)


@pytest.mark.parametrize(
    "metric, rule",
    [
        ("niqe", "it is an instance of iqabench.Metric"),
        (variant(name=""), "name is a non-empty string"),
        (variant(kind="RR"), "kind is 'NR' or 'FR'"),
        (variant(config=lambda self: {"function": len}), "config() is JSON-serialisable"),
        (variant(availability=lambda self: Availability(False, "no weights")), "it can run here (no weights)"),
        (variant(load=lambda self, device: 1 / 0), "load(cpu) succeeds (ZeroDivisionError"),
        (variant(score_batch=lambda self, images, refs=None: [0.5]), "one score per image (1/3)"),
        (variant(score_batch=lambda self, images, refs=None: [math.nan] * len(images)), "a finite number"),
        (variant(score_range=(0.0, 0.1)), "scores lie in score_range (0.0, 0.1)"),
        (variant(calls=itertools.count(), score_batch=counting), "scores are deterministic"),
        (variant(score_batch=lambda self, images, refs=None: [1 / len(images)] * len(images)), "depend on its batch"),
        (variant(calls=itertools.count(), config=lambda self: {"n": next(self.calls)}), "config_hash() is stable"),
    ],
)
def test_check_metric_names_the_broken_rule(sample_images, metric, rule):
    with pytest.raises(AssertionError, match="breaks the rule: .*" + re.escape(rule)):
        check_metric(metric, sample_images)


def test_check_metric_feeds_images_as_the_metric_declares():
    seen = []

    class GreyFullReference(Metric):
        name, kind, channels, min_size = "grey-fr", "FR", 1, 128

        def score_batch(self, images, refs=None):
            seen.extend((image.shape, ref.shape) for image, ref in zip(images, refs))
            return [float((image - ref).abs().mean()) for image, ref in zip(images, refs)]

    scores = check_metric(GreyFullReference())
    assert all(score > 0 for score in scores)  # blurred copies differ from their references
    assert all(shape == ref_shape and shape[0] == 1 and min(shape[1:]) >= 128 for shape, ref_shape in seen)


# -- the command line ------------------------------------------------------------------------------


def test_cli_list_metrics_shows_entry_point_and_broken_plugins(tmp_path):
    site = install_entry_point(tmp_path, "iqabench", "chroma", CHROMA_PLUGIN)
    install_entry_point(tmp_path, "iqabench", "needs-libfoo", BROKEN_PLUGIN)
    script = shutil.which("iqabench", path=os.path.dirname(sys.executable))
    assert script, f"the iqabench console script is not installed beside {sys.executable}"
    pythonpath = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": pythonpath, "COLUMNS": "200"}
    result = subprocess.run([script, "list", "metrics"], capture_output=True, text=True, env=env, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for expected in ("chroma", "needs-libfoo", "libfoo is not installed"):
        assert expected in output, f"{expected!r} not in the output of `iqabench list metrics`:\n{output}"


# --- the plugin switches explain an unknown name ----------------------------------------------------

def test_iqabench_plugins_naming_nothing_installed_is_named_in_the_message(monkeypatch):
    monkeypatch.setenv("IQABENCH_PLUGINS", "nothing")
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)
    registry = PluginManager().registry
    with pytest.raises(UsageError) as error:
        registry.metric("niqe")
    message = str(error.value)
    assert "Known metrics: (none)" in message
    assert "IQABENCH_PLUGINS='nothing'" in message and "nothing: no such plugin is installed" in message
    assert "Installed plugins: datasets, pyiqa, effres" in message
    with pytest.raises(UsageError, match="IQABENCH_PLUGINS='nothing'"):
        registry.dataset("default")


def test_iqabench_disable_plugins_is_named_in_the_message(monkeypatch):
    monkeypatch.delenv("IQABENCH_PLUGINS", raising=False)
    monkeypatch.setenv("IQABENCH_DISABLE_PLUGINS", "pyiqa,effres")
    with pytest.raises(UsageError) as error:
        PluginManager().registry.metric("niqe")
    message = str(error.value)
    assert "IQABENCH_DISABLE_PLUGINS='pyiqa,effres' skips those it names. Left out: pyiqa, effres." in message


def test_no_note_when_the_switches_are_unset(monkeypatch):
    monkeypatch.delenv("IQABENCH_PLUGINS", raising=False)
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)
    manager = PluginManager(discover=False)
    manager.register(datasets_plugin, "datasets")
    with pytest.raises(UsageError) as error:
        manager.registry.dataset("nope")
    assert "IQABENCH_" not in str(error.value)
