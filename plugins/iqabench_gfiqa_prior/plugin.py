"""Registers the ``gfiqa-prior`` and ``gfiqa-prior-tf`` metrics and the ``iqabench train gfiqa-prior`` recipe."""

from iqabench import hookimpl
from iqabench.trainer import Trainer

from .metric import METRICS


def _command():
    from .command import gfiqa_prior

    return gfiqa_prior


@hookimpl
def register_metrics(register):
    for metric in METRICS:
        register(metric())


@hookimpl
def register_trainers(register):
    register(Trainer("gfiqa-prior", "GFIQA-20k paper's generative-prior face IQA (and its ResNet50 baseline)",
                     _command))
