"""The executor seam without a Ray cluster: choosing an executor, the messages when Ray is absent or the
options do not fit, and how the Ray executor chooses between sending paths and bytes."""

import sys

import pytest
from click.testing import CliRunner

from iqabench.cli import main
from iqabench.dataset import Sample
from iqabench.errors import IqabenchError, UsageError
from iqabench.executors import LocalExecutor, RayOptions, make_executor, transport


def test_local_is_the_default_executor():
    assert isinstance(make_executor(), LocalExecutor)
    assert isinstance(make_executor("local", RayOptions()), LocalExecutor)


def test_ray_options_without_the_ray_executor_are_a_usage_error():
    with pytest.raises(UsageError, match="go with --executor ray"):
        make_executor("local", RayOptions(address="auto"))


@pytest.mark.parametrize("command", [["run", "-m", "niqe", "-d", "default"], ["leaderboard"]])
def test_executor_ray_without_ray_says_how_to_install_it(command, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = CliRunner().invoke(main, [*command, "--executor", "ray", "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2, result.output
    assert 'pip install -e ".[ray]"' in result.output
    assert not (tmp_path / "s.sqlite").exists(), "nothing runs before the executor is known to work"


def test_address_without_executor_ray_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["run", "-m", "niqe", "-d", "default", "--address", "auto",
                                       "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 2 and "go with --executor ray" in result.output, result.output


def _samples(tmp_path, sizes):
    samples = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"{i}.png"
        path.write_bytes(b"x" * size)
        samples.append(Sample(path.name, path))
    return samples


def test_paths_are_sent_when_every_actor_sees_the_files(tmp_path):
    assert transport.choose([True, True], _samples(tmp_path, [10, 10]), False, "2 nodes") is False


def test_bytes_are_shipped_when_an_actor_cannot_see_small_files(tmp_path):
    assert transport.choose([True, False], _samples(tmp_path, [10, 10]), False, "2 nodes") is True


def test_large_data_an_actor_cannot_see_stops_the_run_saying_where_it_must_be(tmp_path, monkeypatch):
    monkeypatch.setattr(transport, "SHIP_LIMIT", 15)
    with pytest.raises(IqabenchError, match="filesystem every node mounts at the same path") as raised:
        transport.choose([True, False], _samples(tmp_path, [10, 10]), False, "2 node(s): a, b")
    assert "1 of 2 Ray actors (2 node(s): a, b)" in str(raised.value)


def test_an_actor_sees_a_probe_only_with_the_same_content(tmp_path):
    from iqabench.hashing import file_sha256

    path = tmp_path / "a.png"
    path.write_bytes(b"one")
    probe = transport.Probe(str(path), file_sha256(path))
    assert transport.sees([probe])
    assert not transport.sees([transport.Probe(str(path), "0" * 64)])
    assert not transport.sees([transport.Probe(str(tmp_path / "absent.png"), probe.sha256)])


def test_shipped_bytes_are_decoded_from_a_file_of_the_same_name(tmp_path):
    (tmp_path / "task").mkdir()
    item = transport.Item(7, "/elsewhere/img.png", "/elsewhere/ref.png", b"image", b"ref")
    [sample] = transport.samples_of([item], tmp_path / "task")
    assert sample.id == "7" and sample.path.name == "img.png" and sample.path.read_bytes() == b"image"
    assert sample.ref_path.name == "ref.png" and sample.ref_path.read_bytes() == b"ref"
    unread = transport.Item(8, "/elsewhere/gone.png")  # the driver could not read it: the actor reports it
    assert transport.samples_of([unread], tmp_path / "task")[0].path.as_posix() == "/elsewhere/gone.png"
