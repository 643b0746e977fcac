"""iqabench: a benchmark harness for image quality assessment.

The core knows no metric and no dataset by name: both come from plugins (see :mod:`iqabench.hookspecs`).
The public names are imported on first use, so that ``import iqabench.stats`` does not load torch.
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
