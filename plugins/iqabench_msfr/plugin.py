"""Registers the ``msfr`` metric and the ``iqabench train msfr`` recipe."""

from iqabench_training.plugin import command_at, model_plugin

from iqabench.trainer import Trainer

from .metric import MSFR

register_metrics, register_trainers = model_plugin(
    [MSFR], Trainer("msfr", "multi-scale full-reference network (Zhou & Chen), supervised on FR labels",
                    command_at("iqabench_msfr.command:msfr")))
