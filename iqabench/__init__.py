"""iqabench: a benchmark harness for image quality assessment.

The core knows no metric and no dataset by name: both come from plugins (see :mod:`iqabench.hookspecs`).
The public names are imported on first use, so that ``import iqabench.stats`` does not load torch.

The public API:

- the contracts a plugin implements: :class:`Metric` and :class:`Availability` (:mod:`iqabench.metric`);
  :class:`DatasetCard`, :class:`DatasetSpec`, :class:`Sample` and :class:`Dataset` (:mod:`iqabench.dataset`);
  :class:`Trainer` (:mod:`iqabench.trainer`); and ``hookimpl``, which marks a plugin's implementations of
  the hooks of :mod:`iqabench.hookspecs`;
- :mod:`iqabench.api`: what the command line does (run, stats, export, leaderboard), from Python;
- :mod:`iqabench.stats`: the signed statistics, bootstrap intervals and significance tests.

Their docstrings follow numpydoc, and their examples run as doctests in the test suite.

Examples
--------
>>> import iqabench
>>> iqabench.__all__
['Availability', 'Dataset', 'DatasetCard', 'DatasetSpec', 'Metric', 'Sample', 'Trainer', 'hookimpl', '__version__']
>>> from iqabench import stats
>>> stats.srcc([1, 2, 3, 4], [1, 3, 2, 4])
0.8
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("iqabench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

_PUBLIC = {
    "Availability": ".metric",
    "Dataset": ".dataset",
    "DatasetCard": ".dataset",
    "DatasetSpec": ".dataset",
    "Metric": ".metric",
    "Sample": ".dataset",
    "Trainer": ".trainer",
    "hookimpl": ".hookspecs",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'iqabench' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
