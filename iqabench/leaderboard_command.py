"""``iqabench leaderboard``: score what a suite's store lacks, then write (or ``--check``) its tables.

Exit codes: 0 written, or ``--check`` found no difference; 1 ``--check`` found differences (each is
printed); 2 usage error; 3 a dataset of the suite is absent (unless ``--skip-unavailable``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .leaderboard.build import build_suite
from .leaderboard.check import check_suite
from .leaderboard.output import write_index, write_suite
from .leaderboard.suites import load_suite
from .plugins import get_plugin_manager
from .store import ScoreStore, default_store_path, now


@click.command()
@click.option("--suite", "suite_name", default="ci", show_default=True, help="leaderboards/suites/<NAME>.toml")
@click.option("--check", is_flag=True, help="Recompute and compare with the committed files instead of writing.")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help=f"Score store [{default_store_path()}].")
@click.option("--out", type=click.Path(path_type=Path), default=Path("leaderboards"), show_default=True,
              help="Folder holding suites/ and the generated files.")
@click.option("--offline", is_flag=True, help="Never download (also IQABENCH_OFFLINE=1).")
@click.option("--skip-unavailable", is_flag=True,
              help="Skip a dataset whose data is absent (with a message) instead of failing.")
def leaderboard(suite_name, check, store_path, out, offline, skip_unavailable) -> None:
    """Score what the store lacks for a suite, then write its tables, plots and provenance."""
    if offline:
        os.environ["IQABENCH_OFFLINE"] = "1"
    suite = load_suite(out, suite_name)
    registry = get_plugin_manager().registry
    with ScoreStore(store_path) as store:
        _log(f"store: {store.path}")
        result = build_suite(suite, store, registry, skip_unavailable=skip_unavailable, log=_log)
    if not check:
        write_suite(result, out, now())
        write_index(out)
        click.echo(f"wrote suite {suite_name!r} to {out}/{suite_name}/, {out}/README.md and {out}/index.html")
        return
    problems = check_suite(result, out)
    for problem in problems:
        click.echo(problem)
    if problems:
        click.echo(f"--check: {len(problems)} difference(s) from the committed leaderboard in {out}; "
                   f"regenerate with `iqabench leaderboard --suite {suite_name}` (make leaderboards) and commit.")
        sys.exit(1)
    click.echo(f"--check: the committed leaderboard of suite {suite_name!r} is what the code computes today")


def _log(line: str) -> None:
    click.echo(line, err=True)
