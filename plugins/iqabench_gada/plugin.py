"""Registers the GADA metrics (``gada``, ``gada-direct``) and the ``iqabench train gada`` recipe."""

from iqabench_training.plugin import command_at, model_plugin

from iqabench.trainer import Trainer

from .metric import METRICS

register_metrics, register_trainers = model_plugin(
    METRICS, Trainer("gada", "GADA (Bongini et al.): AC-GAN data augmentation, three phases",
                     command_at("iqabench_gada.command:gada")))
