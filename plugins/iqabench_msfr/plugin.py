"""Registers the ``msfr`` metric and the ``iqabench train msfr`` recipe."""

from iqabench import hookimpl
from iqabench.trainer import Trainer

from .metric import MSFR


def _command():
    from .command import msfr

    return msfr


@hookimpl
def register_metrics(register):
    register(MSFR())


@hookimpl
def register_trainers(register):
    register(Trainer("msfr", "multi-scale full-reference network (Zhou & Chen), supervised on FR labels", _command))
