"""Registers the effres metrics (one per face mask) and the ``iqabench train effres`` recipe."""

from iqabench_training.plugin import command_at, model_plugin

from iqabench.trainer import Trainer

from .metric import METRICS

register_metrics, register_trainers = model_plugin(
    METRICS, Trainer("effres", "effective resolution of faces (Kansy et al.), self-supervised",
                     command_at("iqabench_effres.command:effres")))
