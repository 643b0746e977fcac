"""The ``iqabench`` command line: one module per command, each a thin layer over :mod:`iqabench.api`.

Exit codes: 0 success; 1 the run completed but some images failed (or ``leaderboard --check`` found
differences); 2 usage error (unknown metric or dataset, bad option or setting, no store to read); 3 the
run could not start or go on (dataset, weights or images missing, a metric unavailable, a score store
that is damaged, newer, or cannot be written: read-only, disk full); 130 interrupted (every batch
scored so far is in the store). Importing this package imports neither torch nor matplotlib.
"""

from __future__ import annotations

import click

from .. import __version__
from . import export, info, leaderboard, listing, run, stats, train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iqabench")
def main() -> None:
    """Benchmark image quality metrics on IQA datasets, keeping every per-image score."""


for _command in (listing.list_, run.run, stats.stats, export.export, leaderboard.leaderboard, info.info, train.train):
    main.add_command(_command)

__all__ = ["main"]
