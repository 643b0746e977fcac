"""The hooks a plugin implements. Keep this list short: add a hook only when a plugin needs it."""

import pluggy

PROJECT = "iqabench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_metrics(register):
    """Register metrics: call ``register(metric)`` once per :class:`iqabench.Metric` instance.

    Instances must be cheap to build: weights are loaded later, in ``Metric.load``.
    """


@hookspec
def register_datasets(register):
    """Register datasets: call ``register(dataset_spec)`` once per :class:`iqabench.DatasetSpec`."""


@hookspec
def register_trainers(register):
    """Register training recipes: call ``register(trainer)`` once per :class:`iqabench.Trainer`; each
    becomes ``iqabench train <name>``."""


def names() -> list[str]:
    """Every hook declared here (used by messages and by the test that each hook is tested)."""
    marker = f"{PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets on a hook spec
    return sorted(name for name, value in globals().items() if hasattr(value, marker))
