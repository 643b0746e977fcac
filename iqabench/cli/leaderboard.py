"""``iqabench leaderboard``: score what a suite's store lacks, then write (or ``--check``) its tables.

Exit codes: 0 written, or ``--check`` found no difference; 1 ``--check`` found differences (each is
printed); 2 usage error; 3 a dataset of the suite is absent (unless ``--skip-unavailable``).
"""

from __future__ import annotations

import sys
from contextlib import closing
from pathlib import Path

import click

from . import options
from .console import handles_errors, say
from .logs import prints_to_log


@click.command(short_help="Score a suite, then write or --check its tables and plots.")
@click.option("--suite", "suite_name", default="ci", show_default=True,
              help="Read the suite <OUT>/suites/<NAME>.toml (see --out).")
@click.option("--check", is_flag=True, help="Recompute and compare with the committed files instead of writing.")
@options.store
@click.option("--out", type=click.Path(path_type=Path), default=Path("leaderboards"), show_default=True,
              help="Folder holding suites/ and the generated files; relative to the current folder, so "
                   "outside a checkout pass its leaderboards/ folder.")
@options.offline
@options.executor
@click.option("--skip-unavailable", is_flag=True,
              help="Skip a dataset whose data is absent (with a message) instead of failing.")
@options.verbose
@handles_errors
def leaderboard(suite_name, check, store_path, out, offline, executor_name, address, actors, cpus_per_actor,
                gpus_per_actor, skip_unavailable) -> None:
    """Score what the store lacks for a suite (here, or on a Ray cluster with --executor ray), then write
    its tables, plots and provenance."""
    from .. import api, settings

    executor = options.make_executor(executor_name, address, actors, cpus_per_actor, gpus_per_actor)
    with settings.overrides(offline=offline), closing(executor), prints_to_log():
        problems = api.leaderboard(suite_name, out=out, store=store_path, check=check,
                                   skip_unavailable=skip_unavailable, log=lambda line: say(line, error=True),
                                   executor=executor)
    if not check:
        say(f"wrote suite {suite_name!r} to {out}/{suite_name}/, {out}/README.md and {out}/index.html")
        return
    for problem in problems:
        say(problem)
    if problems:
        say(f"--check: {len(problems)} difference(s) from the committed leaderboard in {out}; "
                   f"regenerate with `iqabench leaderboard --suite {suite_name}` (make leaderboards) and commit.")
        sys.exit(1)
    say(f"--check: the committed leaderboard of suite {suite_name!r} is what the code computes today")
