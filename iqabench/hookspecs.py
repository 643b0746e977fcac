"""The hooks a plugin implements. Keep this list short: add a hook only when a plugin needs it.

A plugin is a module (or any object) with functions marked ``@iqabench.hookimpl`` named after these
specifications; it is found through the ``iqabench`` entry-point group (``[project.entry-points.iqabench]``,
``name = "module"``), or registered by hand with :meth:`iqabench.plugins.PluginManager.register`. Each hook
receives a ``register`` callable and calls it once per thing it provides; a hook it does not need is
simply not implemented.

Examples
--------
>>> from iqabench import hookimpl
>>> from iqabench.plugins import PluginManager
>>> class Empty:
...     @hookimpl
...     def register_metrics(self, register):
...         pass
>>> manager = PluginManager(discover=False)  # neither the built-in nor the installed plugins
>>> manager.register(Empty(), "empty")
>>> manager.registry.metrics
{}
"""

import pluggy

PROJECT = "iqabench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_metrics(register):
    """Register metrics: call ``register(metric)`` once per :class:`iqabench.Metric` instance.

    Instances must be cheap to build: weights are loaded later, in ``Metric.load``. Each name must be
    unique among the loaded plugins; a plugin whose hook raises or registers something that is not a
    metric is reported as broken, and nothing it registered is kept.

    Parameters
    ----------
    register : callable
        ``register(metric)``, to be called with each :class:`iqabench.Metric` instance.

    Examples
    --------
    >>> from iqabench import Metric, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_metrics(self, register):
    ...         register(Brightness())
    >>> manager = PluginManager(discover=False)
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> manager.registry.metric("brightness")
    <Metric brightness NR higher-is-better>
    """


@hookspec
def register_datasets(register):
    """Register datasets: call ``register(dataset_spec)`` once per :class:`iqabench.DatasetSpec`.

    A spec pairs a :class:`iqabench.DatasetCard` (usually read from a TOML card) with a reader
    (:data:`iqabench.dataset.Reader`); nothing is read until the dataset is opened.

    Parameters
    ----------
    register : callable
        ``register(spec)``, to be called with each :class:`iqabench.DatasetSpec`.

    Examples
    --------
    >>> from iqabench import DatasetCard, DatasetSpec, Sample, hookimpl
    >>> from iqabench.dataset import ReadResult
    >>> from iqabench.plugins import PluginManager
    >>> def read(card, root, options):
    ...     return ReadResult([Sample("a.png", root / "a.png", mos=3.0)])
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_datasets(self, register):
    ...         register(DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read))
    >>> manager = PluginManager(discover=False)
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> manager.registry.dataset("my-photos").card.mos_range
    (1.0, 5.0)
    """


@hookspec
def register_trainers(register):
    """Register training recipes: call ``register(trainer)`` once per :class:`iqabench.Trainer`.

    Each becomes ``iqabench train <name>``. A trainer builds its click command only when asked, so that
    listing the trainers imports neither torch nor the recipe's code.

    Parameters
    ----------
    register : callable
        ``register(trainer)``, to be called with each :class:`iqabench.Trainer`.

    Examples
    --------
    >>> import click
    >>> from iqabench import Trainer, hookimpl
    >>> from iqabench.plugins import PluginManager
    >>> def command():
    ...     @click.command("my-recipe")
    ...     def train():
    ...         click.echo("training")
    ...     return train
    >>> class MyPlugin:
    ...     @hookimpl
    ...     def register_trainers(self, register):
    ...         register(Trainer("my-recipe", "fits my metric's weights", command))
    >>> manager = PluginManager(discover=False)
    >>> manager.register(MyPlugin(), "my-plugin")
    >>> manager.registry.trainer("my-recipe").command().name
    'my-recipe'
    """


def names() -> list[str]:
    """Every hook declared here (used by messages and by the test that each hook is tested).

    Returns
    -------
    list of str
        The hooks' names, sorted.

    Examples
    --------
    >>> from iqabench import hookspecs
    >>> hookspecs.names()
    ['register_datasets', 'register_metrics', 'register_trainers']
    """
    marker = f"{PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets on a hook spec
    return sorted(name for name, value in globals().items() if hasattr(value, marker))
