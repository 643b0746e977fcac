"""The ``iqabench`` command line: one module per command, each a thin layer over :mod:`iqabench.api`.

Exit codes: 0 success; 1 the run completed but some images failed (or ``leaderboard --check`` found
differences); 2 usage error (unknown metric or dataset, bad option or setting, no store to read); 3 the
run could not start or go on (dataset, weights or images missing, a metric unavailable, a score store
that is damaged, newer, or cannot be written: read-only, disk full); 130 interrupted (every batch
scored so far is in the store). A reader that closes the pipe early (``iqabench export | head``) ends
any command quietly with 0. Importing this package imports neither torch nor matplotlib.
"""

from __future__ import annotations

import click

from .. import __version__
from . import export, info, leaderboard, listing, logs, run, stats, train
from .console import closed_pipe_ends_quietly, flush


class _Main(click.Group):
    """The group whose every command, its help included, ends quietly with 0 when its reader closes the
    pipe (click's own answer is status 1, the status of failed images)."""

    def make_context(self, *args, **kwargs) -> click.Context:
        with closed_pipe_ends_quietly():  # --help and --version print while the context is made
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        with closed_pipe_ends_quietly():
            try:
                return super().invoke(ctx)
            finally:
                flush()  # a closed pipe shows here, not as a traceback when Python exits


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="iqabench")
@click.option("--verbose", "-v", is_flag=True,
              help="Show the log on stderr: debug messages, libraries' warnings and what native runtimes "
                   "print (hidden otherwise).")
def main(verbose: bool) -> None:
    """Benchmark image quality metrics on IQA datasets, keeping every per-image score."""
    logs.configure(verbose)


for _command in (listing.list_, run.run, stats.stats, export.export, leaderboard.leaderboard, info.info, train.train):
    main.add_command(_command)

__all__ = ["main"]
