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
output_format = click.option("--format", "output_format", type=click.Choice(["table", "markdown", "csv", "json"]),
                             default="table", show_default=True,
                             help="table: for a terminal (fits its width); markdown, csv, json: for programs and "
                                  "documents (every number whole, nothing wrapped).")
