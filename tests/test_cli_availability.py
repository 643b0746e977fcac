"""What the command line tells a newcomer: each metric's availability in three states (present, download on
first use, unavailable) in ``list metrics`` and ``info``; "did you mean" for unknown names; what
IQABENCH_PLUGINS left out; the kind of the metainfo dataset. Nothing here may reach the network: availability
never downloads."""

import json

import pytest
from click.testing import CliRunner
from shared_data import SHARED, needs_shared, requires_shared

from iqabench.cli import console
from iqabench.cli.info import info
from iqabench.cli.listing import list_
from iqabench.errors import UsageError
from iqabench.hashing import file_sha256
from iqabench.metric import Availability
from iqabench.plugins import BUILTIN_PLUGINS, PluginManager, close_names, load_registry
from iqabench.testing import install_entry_point
from iqabench_pyiqa import loaded
from iqabench_pyiqa.catalog import WEIGHTS_URL
from iqabench_pyiqa.configs import default_configs

needs_pyiqa = pytest.mark.skipif(default_configs() is None, reason="pyiqa is not installed")
NIQE_FILE = "niqe_modelparameters.mat"
MUSIQ_FILE = "musiq_koniq_ckpt-e95806b9.pth"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, no_network):
    """An empty download cache, no weights folder, downloads on; any network connection fails the test."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for variable in ("IQABENCH_OFFLINE", "IQABENCH_WEIGHTS_DIR", "IQABENCH_TRUST_WEIGHTS", "IQABENCH_PLUGINS",
                     "IQABENCH_DISABLE_PLUGINS"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def fresh(registry, name):
    return type(registry.metrics[name])()


def offline(monkeypatch):
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")


# -- the three states ---------------------------------------------------------------------------


def test_state_follows_ok_unless_given():
    assert Availability(True).state == "present" and Availability(False, "why").state == "unavailable"
    assert Availability.download("from there").ok and Availability.download("from there").state == "download"
    assert not Availability.unavailable("why").ok
    with pytest.raises(ValueError):
        Availability(False, "why", "download")


@needs_pyiqa
@requires_shared
@needs_shared(f"weights/pyiqa/{NIQE_FILE}")
def test_niqe_with_its_file_in_the_weights_folder_is_present(registry, monkeypatch):
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(SHARED / "weights"))
    availability = fresh(registry, "niqe").availability()
    assert availability.state == "present" and availability.ok
    assert f"{SHARED / 'weights' / 'pyiqa' / NIQE_FILE} (sha256 pinned)" in availability.reason


@needs_pyiqa
def test_niqe_with_a_file_of_another_hash_is_unavailable(registry, monkeypatch, tmp_path):
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / NIQE_FILE).write_bytes(b"not the parameters")
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    availability = fresh(registry, "niqe").availability()
    assert availability.state == "unavailable" and "was refused" in availability.reason


@needs_pyiqa
@pytest.mark.parametrize("name, file_name", [("niqe", NIQE_FILE), ("musiq", MUSIQ_FILE)])
def test_without_the_file_it_is_downloaded_on_first_use_and_says_from_where(registry, name, file_name):
    availability = fresh(registry, name).availability()
    assert availability.state == "download" and availability.ok
    assert file_name in availability.reason and WEIGHTS_URL.format(file_name) in availability.reason


@needs_pyiqa
@pytest.mark.parametrize("name, file_name", [("niqe", NIQE_FILE), ("musiq", MUSIQ_FILE)])
def test_offline_without_the_file_it_is_unavailable_and_says_what_to_do(registry, monkeypatch, name, file_name):
    offline(monkeypatch)
    availability = fresh(registry, name).availability()
    assert availability.state == "unavailable" and not availability.ok
    assert "downloads are off" in availability.reason
    assert WEIGHTS_URL.format(file_name) in availability.reason and "IQABENCH_WEIGHTS_DIR" in availability.reason


@pytest.mark.parametrize("name", ["effres", "effres-nomask"])
def test_effres_ships_its_checkpoint(registry, name):
    availability = fresh(registry, name).availability()
    assert availability.state == "present" and "sha256 pinned" in availability.reason


@needs_pyiqa
def test_a_metric_without_weight_files_is_present_offline_too(registry, monkeypatch):
    offline(monkeypatch)
    assert fresh(registry, "pyiqa:psnr").availability().state == "present"


@needs_pyiqa
def test_files_known_only_when_pyiqa_builds_the_metric(registry, monkeypatch, tmp_path):
    """Downloaded on first use; offline, unavailable until a load has recorded files that are still here."""
    metric = fresh(registry, "pyiqa:lpips")
    assert metric.weight_file_names is None
    assert metric.availability().state == "download"
    assert WEIGHTS_URL.format("") in metric.availability().reason
    offline(monkeypatch)
    assert metric.availability().state == "unavailable"
    assert "Run it once with downloads on" in metric.availability().reason
    checkpoint = tmp_path / "alexnet.pth"
    checkpoint.write_bytes(b"weights")
    loaded.record(metric.name, {"alexnet.pth": checkpoint}, {"alexnet.pth": file_sha256(checkpoint)})
    availability = metric.availability()
    assert availability.state == "present" and str(checkpoint) in availability.reason
    checkpoint.write_bytes(b"other weights")
    assert metric.availability().state == "unavailable"


# -- list metrics and info ----------------------------------------------------------------------


def invoke(command, *args):
    result = CliRunner().invoke(command, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@needs_pyiqa
def test_list_metrics_as_json_gives_the_state_and_its_detail(monkeypatch):
    rows = {row["metric"]: row for row in json.loads(invoke(list_, "metrics", "--all", "--format", "json"))}
    assert rows["musiq"]["availability"] == "download" and WEIGHTS_URL.format(MUSIQ_FILE) in rows["musiq"]["detail"]
    assert rows["effres"]["availability"] == "present" and rows["pyiqa:psnr"]["availability"] == "present"
    assert rows["pyiqa:fid"]["availability"] == "unavailable"
    assert rows["niqe"]["kind"] == "NR" and rows["niqe"]["better"] == "lower" and rows["niqe"]["high"] == 100
    rows = {row["metric"]: row for row in json.loads(invoke(list_, "metrics", "--offline", "--format", "json"))}
    assert rows["musiq"]["availability"] == "unavailable" and "downloads are off" in rows["musiq"]["detail"]


@needs_pyiqa
@pytest.mark.parametrize("output_format, header", [("csv", "metric,kind,better,low,high,plugin,availability,detail"),
                                                   ("markdown", "| metric | kind | better | low | high |")])
def test_list_metrics_as_csv_and_markdown(output_format, header):
    output = invoke(list_, "metrics", "--format", output_format)
    assert output.startswith(header) and "musiq" in output


@needs_pyiqa
def test_list_metrics_at_80_columns_keeps_every_name_whole_and_details_each_state(monkeypatch, registry):
    monkeypatch.setattr(console.out, "width", 80)
    output = invoke(list_, "metrics", "--all")
    table = [line for line in output.splitlines() if line.startswith("│")]
    names = {line.split("│")[1].strip() for line in table}
    assert names == set(registry.metrics)
    assert all(len(line) <= 80 for line in table)
    assert "Present:" in output and "Download on first use:" in output and "Unavailable:" in output
    assert "\n  musiq: " in output  # the detail, wrapped to the width between words
    assert f"musiq: {MUSIQ_FILE} from {WEIGHTS_URL.format(MUSIQ_FILE)}" in " ".join(output.split())


@needs_pyiqa
def test_info_counts_the_metrics_in_each_state(monkeypatch):
    monkeypatch.setattr(console.out, "width", 200)
    line = next(line for line in invoke(info).splitlines() if "│ metrics" in line)
    assert "present" in line and "download on first use" in line and "unavailable" in line


# -- unknown names --------------------------------------------------------------------------------


def test_did_you_mean_a_metric_a_namespaced_metric_and_a_dataset(registry):
    with pytest.raises(UsageError, match=r"Did you mean 'niqe'"):
        registry.metric("nique")
    with pytest.raises(UsageError, match=r"Did you mean 'pyiqa:unique' or 'niqe'\?"):
        registry.metric("pyiqa:nique")
    with pytest.raises(UsageError, match=r"Did you mean 'default'\?"):
        registry.dataset("defualt")
    message = str(pytest.raises(UsageError, registry.metric, "qwertz").value)
    assert "Did you mean" not in message


def test_close_names_across_namespaces():
    known = ["niqe", "pyiqa:ssim", "pyiqa:unique", "tid2013"]
    assert close_names("ssim", known) == ["pyiqa:ssim"]
    assert close_names("pyiqa:niqe", known)[0] == "niqe"
    assert close_names("NIQE", known)[0] == "niqe"
    assert close_names("tid", known) == ["tid2013"]


def test_iqabench_plugins_says_it_left_out_the_built_in_plugins(tmp_path, monkeypatch):
    install_entry_point(tmp_path, "iqabench", "mymetric", "")
    monkeypatch.setenv("IQABENCH_PLUGINS", "mymetric")
    registry = PluginManager().registry
    message = str(pytest.raises(UsageError, registry.dataset, "default").value)
    built_in = list(BUILTIN_PLUGINS)
    assert built_in[:3] == ["datasets", "pyiqa", "effres"]
    assert "Known datasets: (none)" in message and f"Left out: {', '.join(built_in)}." in message
    assert "The built-in plugins are left out too unless named" in message
    assert f"IQABENCH_PLUGINS=mymetric,{','.join(built_in)}" in message


# -- dataset kinds --------------------------------------------------------------------------------


def test_metainfo_is_listed_as_nr_or_fr(registry, monkeypatch):
    assert registry.dataset("metainfo").card.kind == "NR/FR"
    monkeypatch.setattr(console.out, "width", 200)
    row = next(line for line in invoke(list_, "datasets").splitlines() if "│ metainfo" in line)
    assert "NR or FR (from the label file)" in row
