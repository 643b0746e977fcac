"""The command line as a newcomer meets it: results drawn in an 80- or 120-column terminal with every
metric name and number whole, ``--format`` documents alone on stdout, and messages never wrapped."""

import fcntl
import json
import math
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios

import pytest
from rich.cells import chop_cells

from iqabench.plugins import listed_names, load_registry
from iqabench.stats.bootstrap import Interval
from iqabench.tables import interval_cell, p_value

#: cheap, weight-free, and alike but for their last letter (a cut name could not tell them apart).
METRICS = ("pyiqa:psnr", "pyiqa:psnry")
RESAMPLES = "50"
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def cli(*args, env, columns=None):
    """The command with stdout and stderr piped (a log); ``COLUMNS`` only when given."""
    environment = {k: v for k, v in env.items() if k != "COLUMNS"}
    if columns is not None:
        environment["COLUMNS"] = str(columns)
    return subprocess.run([sys.executable, "-m", "iqabench", *args], capture_output=True, text=True,
                          env=environment, timeout=600)


def screen(*args, env, columns):
    """The rows a terminal of ``columns`` shows of the command's stdout (a pseudo-terminal of that size,
    no COLUMNS in the environment); stderr is a file, not shown."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen([sys.executable, "-m", "iqabench", *args], stdout=slave, stderr=stderr,
                                   env=dict(environment, TERM="xterm-256color"))
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: the command exited
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        if process.wait(timeout=600) != 0:
            stderr.seek(0)
            raise AssertionError(stderr.read().decode())
    text = ANSI.sub("", b"".join(chunks).decode()).replace("\r", "")
    return [row for line in text.split("\n") for row in (chop_cells(line, columns) or [""])]


def whole(token: str, rows: list[str]) -> bool:
    """``token`` on one row, not as part of a longer name or number."""
    pattern = re.compile(rf"(?<![\w.:\-]){re.escape(token)}(?![\w.:])")
    return any(pattern.search(row) for row in rows)


def numbers_in(cell: str) -> list[str]:
    """``0.1 [0.0, 0.2]`` -> ``["0.1", "0.0", "0.2"]``."""
    return re.findall(r"[^\s\[\],]+", cell)


def cells(numbers: dict) -> str:
    """A JSON interval as the table prints it."""
    nan = math.nan
    return interval_cell(Interval(*(nan if numbers[k] is None else numbers[k] for k in ("estimate", "low", "high")),
                                  0.95))


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    """The two metrics run on the first 12 images of the embedded default dataset, as JSON."""
    pytest.importorskip("pyiqa")
    folder = tmp_path_factory.mktemp("layout")
    env = dict(os.environ, IQABENCH_OFFLINE="1", IQABENCH_DATA=str(folder / "data"),
               IQABENCH_STORE=str(folder / "s.sqlite"))
    result = cli("run", "-d", "default", *(f"--metric={m}" for m in METRICS), "--limit", "12",
                 "--resamples", RESAMPLES, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return env, json.loads(result.stdout), result.stderr


def test_run_as_json_is_the_document_alone_with_counts_intervals_pairs_and_notes(scored):
    _, document, stderr = scored
    assert f"store: {document['store']}" in stderr and "pyiqa:psnr: 12 scored now" in stderr
    assert [r["metric"] for r in document["runs"]] == list(METRICS)
    assert {m["metric"] for m in document["metrics"]} == set(METRICS)
    for metric in document["metrics"]:
        assert (metric["scored"], metric["missing"], metric["failed"]) == (12, 0, 0)
        assert set(metric["statistics"]) == {"SRCC", "PLCC", "KRCC", "PRA", "RMSE", "SRCC/photo", "PRA/photo"}
        srcc = metric["statistics"]["SRCC"]
        assert srcc["low"] <= srcc["estimate"] <= srcc["high"]
    (pair,) = document["pairs"]
    assert pair["n"] == 12 and pair["SRCC"]["test"] == "Steiger" and 0 <= pair["SRCC"]["p_bootstrap"] <= 1
    assert document["notes"] and document["provenance"]["iqabench"]


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("command", ["run", "stats"])
def test_every_name_and_number_is_whole_in_a_terminal(scored, command, columns):
    env, document, _ = scored
    args = ["-d", "default", "--resamples", RESAMPLES]
    if command == "run":
        args += [*(f"--metric={m}" for m in METRICS), "--limit", "12"]
    rows = screen(command, *args, env=env, columns=columns)
    shown = "\n".join(rows)
    for metric in document["metrics"]:
        assert whole(metric["metric"], rows), shown
        for numbers in metric["statistics"].values():
            assert all(whole(n, rows) for n in numbers_in(cells(numbers))), (numbers, shown)
    resamples = document["resamples"]
    for pair in document["pairs"]:
        for label in ("SRCC", "PLCC", "RMSE"):
            numbers = [*numbers_in(cells(pair[label]["difference"])), p_value(pair[label]["p_bootstrap"], resamples),
                       p_value(pair[label]["p_test"])]
            assert all(whole(n, rows) for n in numbers), (numbers, shown)


def test_json_holds_the_numbers_of_the_table(scored):
    """``stats --format markdown`` gives the table's cells; each is the JSON's number as the table prints it.
    (``--format csv`` gives the numbers themselves: tests/test_cli_output.py.)"""
    env, document, _ = scored
    result = cli("stats", "-d", "default", "--resamples", RESAMPLES, "--format", "markdown", env=env)
    assert result.returncode == 0 and result.stderr.startswith("labels: set "), result.stderr
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in result.stdout.splitlines()
            if line.startswith("|") and not line.startswith("|-")]
    table = [row for row in rows if len(row) == 13]  # 6 columns, then 7 statistics
    pairs = [row for row in rows if len(row) == 12]  # A, B, n, then 3 columns for each of 3 statistics
    header = table[0]
    expected = [[m["metric"], m["better"], str(m["scored"]), str(m["missing"]), str(m["failed"]),
                 "✓" if m["top"] else "", *(cells(m["statistics"][label]) for label in header[6:])]
                for m in document["metrics"]]
    assert table[1:] == expected
    resamples = document["resamples"]
    expected_pairs = [[p["A"], p["B"], str(p["n"]), *(cell for label in ("SRCC", "PLCC", "RMSE") for cell in (
        cells(p[label]["difference"]), p_value(p[label]["p_bootstrap"], resamples), p_value(p[label]["p_test"])))]
        for p in document["pairs"]]
    assert pairs[1:] == expected_pairs


def test_markdown_is_the_document_alone(scored):
    env, document, _ = scored
    result = cli("stats", "-d", "default", "--resamples", RESAMPLES, "--format", "markdown", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("### `default`") and "labels: set" not in result.stdout
    assert any(line.startswith(f"| {document['metrics'][0]['metric']} ") for line in lines)
    assert f"- {document['notes'][0]}" in lines


@pytest.mark.parametrize("columns", [80, 120])
def test_list_metrics_shows_every_name_whole(scored, columns):
    env, _, _ = scored
    rows = screen("list", "metrics", env=env, columns=columns)
    names = listed_names(load_registry().metrics)[0]
    assert all(whole(name, rows) for name in names), (names, "\n".join(rows))


def test_a_path_in_a_message_is_never_wrapped(tmp_path):
    """A log (stderr a pipe): the error names a store path longer than any width on one line, to be copied."""
    store = tmp_path / ("a-folder-with-a-long-name-" * 9) / "scores.sqlite"
    result = cli("stats", "-d", "default", "--store", str(store), env=dict(os.environ))
    assert result.returncode == 2
    assert any(str(store) in line for line in result.stderr.splitlines()), result.stderr
