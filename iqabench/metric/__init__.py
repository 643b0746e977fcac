"""The metric contract: what every metric plugin provides and what the harness relies on.

A metric is built cheaply (so that ``iqabench list`` can show it), declares its identity without
loading anything (:meth:`Metric.identity`), loads its weights in :meth:`Metric.load`, and scores
batches of decoded images with :meth:`Metric.score_batch`. Importing this module does not import torch.
"""

from .availability import Availability, State
from .base import Kind, Metric, check_score
from .identity import NO_WEIGHTS, Identity, hash_json, weights_hash

__all__ = ["NO_WEIGHTS", "Availability", "Identity", "Kind", "Metric", "State", "check_score", "hash_json",
           "weights_hash"]
