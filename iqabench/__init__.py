"""iqabench: a benchmark harness for image quality assessment.

The core knows no metric and no dataset by name: both come from plugins (see :mod:`iqabench.hookspecs`).
"""

from importlib.metadata import PackageNotFoundError, version

from .dataset import Dataset, DatasetCard, DatasetSpec, Sample
from .hookspecs import hookimpl
from .metric import Availability, Metric

try:
    __version__ = version("iqabench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Availability",
    "Dataset",
    "DatasetCard",
    "DatasetSpec",
    "Metric",
    "Sample",
    "hookimpl",
    "__version__",
]
