"""The library API behind the command line, usable from a notebook:

- :func:`run`: score a dataset with metrics (only what the store lacks), then :func:`iqabench.results.collect`;
- :func:`stats`: results from the store alone (opened read-only);
- :func:`export`: per-image rows as CSV (the store opened read-only);
- :func:`leaderboard`: score and build a suite, and write or check its files.

Each takes an optional :class:`~iqabench.plugins.Registry` (default: the installed plugins, loaded
afresh) and a store path (default: :func:`iqabench.settings.store_path`); those that score take an
optional :class:`~iqabench.runner.Executor` (default: this process; :func:`iqabench.executors.make_executor`
makes the Ray one), which the caller closes. None imports torch unless it
has images to score, nor matplotlib unless it writes plots.

The steps of :func:`run` are public too: :func:`resolve` looks up the metrics and opens the dataset,
:func:`score` scores what an open store lacks.

The examples run as doctests (all but the leaderboard check, which needs real data): each registers a
toy metric in-process (see :mod:`iqabench.hookspecs`), writes six tiny labelled images and a score
store in a temporary folder, and reads them with the built-in ``metainfo`` dataset.
"""

from .leaderboards import leaderboard
from .reading import export, stats
from .running import RunResult, run
from .scoring import resolve, score

__all__ = ["RunResult", "export", "leaderboard", "resolve", "run", "score", "stats"]
