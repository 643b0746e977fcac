"""Registers the effres metrics (one per face mask) and the ``iqabench train effres`` recipe."""

from iqabench import hookimpl
from iqabench.trainer import Trainer

from .metric import METRICS


def _command():
    from .command import effres

    return effres


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric())


@hookimpl
def register_trainers(register):
    register(Trainer("effres", "effective resolution of faces (Kansy et al.), self-supervised", _command))
