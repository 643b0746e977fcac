"""Registers niqe, brisque, musiq and every other pyiqa metric as pyiqa:<name>.

Listing reads pyiqa's metric table from its file and never imports pyiqa. Without pyiqa only the
three named metrics are registered, and their availability says how to install it.
"""

from iqabench import hookimpl

from .catalog import NAMED
from .configs import default_configs
from .metric import metric_class


@hookimpl
def register_metrics(register):
    configs = default_configs()
    if configs is None:
        for name in NAMED:
            register(metric_class(name, None)())
        return
    for name, config in configs.items():
        register(metric_class(name, config)())
