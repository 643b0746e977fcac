"""The plugin guide (docs/writing-a-metric-plugin.md) works as written: its project files, extracted from the
markdown exactly, build and install with pip; the installed plugin is listed and scores the default dataset
through the `iqabench` command; the project's own tests pass; and the weights example keeps the contract."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from iqabench.errors import UsageError
from iqabench.plugins import PluginManager
from iqabench.testing import check_metric

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "writing-a-metric-plugin.md"
FILES = {"my-metric/pyproject.toml", "my-metric/my_module.py", "my-metric/tests/conftest.py",
         "my-metric/tests/test_my_metric.py"}
#: a file block: its marker, an optional plugin-example marker (README's copy), then one fenced block.
FILE_BLOCK = re.compile(r"^<!-- plugin-file: (\S+) -->\n(?:<!-- plugin-example:start -->\n)?```\w*\n(.*?)^```$",
                        re.MULTILINE | re.DOTALL)
WEIGHTS_START, WEIGHTS_END = "<!-- plugin-weights-example:start -->", "<!-- plugin-weights-example:end -->"


def guide_files() -> dict[str, str]:
    """{path: text} of every file the guide shows, exactly as written."""
    found = FILE_BLOCK.findall(GUIDE.read_text())
    files = dict(found)
    assert len(files) == len(found), "the guide shows a file twice"
    return files


def weights_example() -> str:
    text = GUIDE.read_text()
    block = text.split(WEIGHTS_START, 1)[1].split(WEIGHTS_END, 1)[0]
    match = re.fullmatch(r"\s*```python\n(.*?)```\s*", block, re.DOTALL)
    assert match, f"the text between {WEIGHTS_START} and {WEIGHTS_END} must be one ```python block"
    return match.group(1)


def iqabench_command() -> list[str]:
    """The `iqabench` console script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "iqabench"
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from iqabench.cli import main; main()"]


def test_the_guide_shows_the_whole_project_and_the_commands_the_test_runs():
    assert set(guide_files()) == FILES
    text = GUIDE.read_text()
    for command in ("python -m pip install -e my-metric", "iqabench list metrics",
                    "iqabench run --metric sharpness --dataset default", "python -m pytest my-metric/tests",
                    "IQABENCH_PLUGINS=mymetric,datasets"):
        assert command in text, command


@pytest.mark.slow
def test_the_guide_project_installs_with_pip_lists_scores_and_passes_its_tests(tmp_path, monkeypatch):
    project = tmp_path / "project"
    for relative, text in guide_files().items():
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    site = tmp_path / "site"
    env = {key: value for key, value in os.environ.items()
           if key not in ("IQABENCH_PLUGINS", "IQABENCH_DISABLE_PLUGINS", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), IQABENCH_DATA=str(tmp_path / "data"), IQABENCH_STORE=str(tmp_path / "s.sqlite"),
               PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", IQABENCH_OFFLINE="1")

    def start(args: list[str], cwd: Path = tmp_path) -> subprocess.Popen:
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(process: subprocess.Popen) -> tuple[int, str, str]:
        try:
            stdout, stderr = process.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        return process.returncode, stdout, stderr

    # A real pip install, offline, with the setuptools of this environment. Not editable: a --target folder
    # is not a site directory, so the .pth file of an editable install would not be read.
    code, out, err = finish(start([sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
                                   "--no-index", "--target", str(site), str(project / "my-metric")]))
    if code != 0:
        if re.search(r"No module named|Cannot import|BackendUnavailable|not find a version", out + err):
            pytest.skip(f"pip cannot build the guide's project offline here: {err.strip()[-400:]}")
        pytest.fail(f"pip install of the guide's project failed:\n{out}\n{err}")
    assert (site / "my_module.py").is_file()
    assert list(site.glob("my_metric-0.1.0.dist-info/entry_points.txt"))

    # The guide's three commands, at once (they share nothing).
    listing = start([*iqabench_command(), "list", "metrics"])
    scoring = start([*iqabench_command(), "run", "--metric", "sharpness", "--dataset", "default", "--limit", "5",
                     "--store", str(tmp_path / "s.sqlite"), "--resamples", "50", "--device", "cpu"])
    testing = start([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "my-metric/tests"], cwd=project)

    # Meanwhile, in this process: IQABENCH_PLUGINS as the guide shows it keeps the built-in datasets.
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("IQABENCH_PLUGINS", "mymetric,datasets")
    monkeypatch.delenv("IQABENCH_DISABLE_PLUGINS", raising=False)
    registry = PluginManager().registry
    assert registry.owners.get(("metric", "sharpness")) == "mymetric", registry.broken
    assert "default" in registry.datasets and "niqe" not in registry.metrics
    monkeypatch.setenv("IQABENCH_PLUGINS", "mymetric")
    with pytest.raises(UsageError, match="Unknown dataset 'default'"):
        PluginManager().registry.dataset("default")

    code, out, err = finish(listing)
    assert code == 0, out + err
    row = next((line for line in out.splitlines() if re.search(r"\bsharpness\b", line)), None)
    assert row is not None, f"`iqabench list metrics` does not show sharpness:\n{out}\n{err}"
    assert "mymetric" in row and re.search(r"\b(yes|present)\b", row), f"sharpness is not available:\n{out}"

    code, out, err = finish(scoring)
    assert code == 0, out + err
    assert re.search(r"sharpness: 5 scored now", out + err), out + err

    code, out, err = finish(testing)
    assert code == 0, out + err
    assert "3 passed" in out, out


def test_the_weights_example_refuses_to_run_without_its_file_and_keeps_the_contract_with_it(
        tmp_path, monkeypatch, sample_images):
    import torch

    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    module = types.ModuleType("weights_example")
    exec(compile(weights_example(), "weights_example.py", "exec"), module.__dict__)
    metric = module.LearnedSharpness()

    availability = metric.availability()
    assert not availability.ok and module.WEIGHTS in availability.reason
    assert metric.identity().weights is None

    path = tmp_path / "weights" / module.SUBDIR / module.WEIGHTS
    path.parent.mkdir(parents=True)
    laplacian = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]]).view(1, 1, 3, 3)
    torch.save({"kernel": laplacian}, path)
    assert metric.availability().ok
    declared = metric.identity().weights
    assert set(declared) == {module.WEIGHTS}
    scores = check_metric(metric, sample_images)
    assert all(score > 0 for score in scores)
    assert metric.weights == declared, "load() must record the files weight_files() declared"
