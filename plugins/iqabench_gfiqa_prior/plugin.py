"""Registers the ``gfiqa-prior`` and ``gfiqa-prior-tf`` metrics and the ``iqabench train gfiqa-prior`` recipe."""

from iqabench_training.plugin import command_at, model_plugin

from iqabench.trainer import Trainer

from .metric import METRICS

register_metrics, register_trainers = model_plugin(
    METRICS, Trainer("gfiqa-prior", "GFIQA-20k paper's generative-prior face IQA (and its ResNet50 baseline)",
                     command_at("iqabench_gfiqa_prior.command:gfiqa_prior")))
