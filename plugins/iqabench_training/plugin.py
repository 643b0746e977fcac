"""The hooks of a model plugin: its metrics and its ``iqabench train <name>`` recipe, registered the same
way by every model (:mod:`iqabench.hookspecs`). Listing them imports neither torch nor the recipe."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module

from iqabench import hookimpl
from iqabench.trainer import Trainer


def command_at(where: str) -> Callable:
    """A :class:`~iqabench.Trainer`'s ``command``: imports the click command only when it is called.

    Parameters
    ----------
    where : str
        ``"package.module:name"`` of the click command.

    Returns
    -------
    callable
        Returns the command, imported on the first call.
    """
    module, name = where.split(":")
    return lambda: getattr(import_module(module), name)


def model_plugin(metrics: Iterable[type], trainer: Trainer) -> tuple[Callable, Callable]:
    """The two hook implementations of a model plugin; its ``plugin.py`` binds them to their names.

    Parameters
    ----------
    metrics : iterable of Metric classes
        One instance of each is registered.
    trainer : Trainer
        The training recipe, ``iqabench train <trainer.name>``.

    Returns
    -------
    tuple of (callable, callable)
        ``register_metrics`` and ``register_trainers``.

    Examples
    --------
    In a plugin's ``plugin.py``:

    >>> from iqabench.trainer import Trainer
    >>> register_metrics, register_trainers = model_plugin(
    ...     [], Trainer("toy", "a toy recipe", command_at("toy.command:train")))
    """
    metrics = tuple(metrics)

    @hookimpl
    def register_metrics(register):
        for metric in metrics:
            register(metric())

    @hookimpl
    def register_trainers(register):
        register(trainer)

    return register_metrics, register_trainers


__all__ = ["command_at", "model_plugin"]
