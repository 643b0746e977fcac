"""Registers the GADA metrics (``gada``, ``gada-direct``) and the ``iqabench train gada`` recipe."""

from iqabench import hookimpl
from iqabench.trainer import Trainer

from .metric import METRICS


def _command():
    from .command import gada

    return gada


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric())


@hookimpl
def register_trainers(register):
    register(Trainer("gada", "GADA (Bongini et al.): AC-GAN data augmentation, three phases", _command))
