"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import click

store = click.option("--store", "store_path", type=click.Path(path_type=Path),
                     help="Score store [$IQABENCH_STORE, else ~/.cache/iqabench/scores.sqlite].")
offline = click.option("--offline", is_flag=True, default=None, help="Never download (also IQABENCH_OFFLINE=1).")
resamples = click.option("--resamples", type=click.IntRange(min=1), default=1000, show_default=True,
                         help="Bootstrap resamples for the intervals.")
seed = click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")


def _verbose(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        from .logs import configure

        configure(verbose=True)


#: the group's ``--verbose``, also taken after the command's name (``iqabench run -v ...``).
verbose = click.option("--verbose", "-v", is_flag=True, expose_value=False, callback=_verbose,
                       help="Show the log on stderr (as iqabench --verbose).")
output_format = click.option("--format", "output_format", type=click.Choice(["table", "markdown", "csv", "json"]),
                             default="table", show_default=True,
                             help="table: for a terminal (fits its width); markdown, csv, json: for programs and "
                                  "documents (every number whole, nothing wrapped).")


def executor(command):
    """``--executor`` and the Ray executor's options (``--address``, ``--actors``, ``--cpus-per-actor``,
    ``--gpus-per-actor``); the command turns them into an executor with :func:`make_executor`."""
    chosen = [
        click.option("--executor", "executor_name", type=click.Choice(["local", "ray"]), default="local",
                     show_default=True,
                     help="Where images are decoded and scored: this process, or actors on a Ray cluster "
                          "(needs the extra: pip install -e \".[ray]\"); this process writes the store either way."),
        click.option("--address", help="Ray cluster: auto (the one `ray start` made here), HOST:6379 or "
                                       "ray://HOST:10001 (default: start a local one)."),
        click.option("--actors", type=click.IntRange(min=1),
                     help="Ray actors (default: as many as the cluster's CPUs, or GPUs, hold)."),
        click.option("--cpus-per-actor", type=click.FloatRange(min=0, min_open=True), default=1.0,
                     show_default=True, help="CPUs each Ray actor reserves (its torch threads)."),
        click.option("--gpus-per-actor", type=click.FloatRange(min=0),
                     help="GPUs each Ray actor reserves, fractions share one (default: 1 when --device is auto "
                          "or cuda and the cluster has GPUs, else 0)."),
    ]
    for option in reversed(chosen):
        command = option(command)
    return command


def make_executor(executor_name: str, address: str | None, actors: int | None, cpus_per_actor: float,
                  gpus_per_actor: float | None):
    """The executor the :func:`executor` options ask for (a usage error when they do not fit together)."""
    from ..executors import RayOptions, make_executor as make

    return make(executor_name, RayOptions(address, actors, cpus_per_actor, gpus_per_actor))
