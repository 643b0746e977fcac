"""``iqabench leaderboard`` run outside the repository says where suites are looked for and how to point at them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def leaderboard(cwd: Path, *args: str) -> tuple[int, str]:
    """``python -m iqabench leaderboard ARGS`` in ``cwd`` (this checkout's iqabench even when not installed):
    the exit code and stdout + stderr with runs of whitespace made one space (the console wraps long lines)."""
    env = dict(os.environ, COLUMNS="1000", IQABENCH_OFFLINE="1", IQABENCH_STORE=str(cwd / "scores.sqlite"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), str(REPO / "plugins"),
                                                        os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "iqabench", "leaderboard", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=300)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def test_outside_the_repository_the_message_names_the_folder_searched_and_how_to_point_at_suites(tmp_path):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    code, message = leaderboard(cwd, "--suite", "ci")
    assert code == 2, message
    assert "Traceback" not in message
    searched = (cwd / "leaderboards" / "suites").resolve()
    assert f"{searched / 'ci.toml'} does not exist" in message
    assert f"looked for in one folder only, <out>/suites/ ({searched})" in message
    assert f"relative to the current folder {cwd.resolve()}" in message
    assert "That folder does not exist." in message
    assert "Point --out" in message and "--out /path/to/iqabench/leaderboards" in message
    # Run from this source checkout, it names the checkout's own suites and the --out that reaches them.
    assert f"suites in {REPO / 'leaderboards' / 'suites'} (ci)" in message
    assert f"pass --out {REPO / 'leaderboards'}" in message
    assert not (cwd / "leaderboards").exists() and not (cwd / "scores.sqlite").exists()


def test_the_message_lists_the_suites_of_the_folder_searched(tmp_path):
    out = tmp_path / "boards"
    (out / "suites").mkdir(parents=True)
    code, empty = leaderboard(tmp_path, "--suite", "ci", "--out", str(out))
    assert code == 2 and "It holds no suite (*.toml)." in empty, empty
    assert f"--out is {str(out)!r}." in empty  # an absolute --out: no current folder involved

    (out / "suites" / "mine.toml").write_text('title = "mine"\n')
    code, listed = leaderboard(tmp_path, "--suite", "ci", "--out", str(out))
    assert code == 2 and "Suites there: mine." in listed, listed


def test_following_the_hint_finds_the_suite(tmp_path):
    """--out pointing at a folder with suites/ reads the suite there (here one with no datasets: its own error)."""
    out = tmp_path / "boards"
    (out / "suites").mkdir(parents=True)
    (out / "suites" / "mine.toml").write_text('title = "mine"\n')
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    code, message = leaderboard(cwd, "--suite", "mine", "--out", str(out))
    assert code == 2, message
    assert f"suite {out / 'suites' / 'mine.toml'} names no [[datasets]]" in message
    assert "does not exist" not in message
