"""The plugin manager: loads entry points of the group ``iqabench`` and collects metrics and datasets.

Built-in plugins are registered through the same entry-point group a third-party package uses.
``IQABENCH_PLUGINS`` (comma-separated entry-point names) loads only those;
``IQABENCH_DISABLE_PLUGINS`` skips those. A plugin that fails to import is recorded with its
error and the rest still load. Two plugins registering one name is a :class:`PluginError`.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from types import ModuleType

import pluggy

from . import hookspecs
from .dataset import DatasetSpec
from .errors import PluginError, UsageError
from .metric import Metric

ENTRY_POINT_GROUP = "iqabench"


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin that could not be loaded, and why."""

    name: str
    error: str


@dataclass
class Registry:
    """Everything the loaded plugins registered, keyed by name, with the plugin that registered it."""

    metrics: dict[str, Metric] = field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)

    def metric(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise UsageError(_unknown("metric", name, self.metrics, self.broken)) from None

    def dataset(self, name: str) -> DatasetSpec:
        try:
            return self.datasets[name]
        except KeyError:
            raise UsageError(_unknown("dataset", name, self.datasets, self.broken)) from None


def _unknown(what: str, name: str, known: dict, broken: list[BrokenPlugin]) -> str:
    listed = [n for n in sorted(known) if not n.startswith("pyiqa:")]
    extra = len(known) - len(listed)
    message = f"Unknown {what} {name!r}. Known {what}s: {', '.join(listed) or '(none)'}"
    if extra:
        message += f" and {extra} more as pyiqa:<name> (iqabench list {what}s --all)"
    message += "."
    if broken:
        message += " Plugins that failed to load: " + "; ".join(f"{b.name} ({b.error})" for b in broken)
    return message


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


class PluginManager:
    """Wraps a :class:`pluggy.PluginManager`; :attr:`registry` is built on first use."""

    def __init__(self, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.broken: list[BrokenPlugin] = []
        self.versions: dict[str, str] = {}
        if load_entry_points:
            self._load_entry_points()

    def _load_entry_points(self) -> None:
        only = _names_from_env("IQABENCH_PLUGINS")
        disabled = _names_from_env("IQABENCH_DISABLE_PLUGINS") or set()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if (only is not None and ep.name not in only) or ep.name in disabled:
                continue
            if self.pm.has_plugin(ep.name):
                continue
            try:
                self.register(ep.load(), ep.name)
            except Exception as exc:  # a broken plugin (import error, bad hook signature) spares the others
                self.broken.append(BrokenPlugin(ep.name, f"{type(exc).__name__}: {exc}"))
                continue
            if ep.dist is not None:
                self.versions[ep.name] = f"{ep.dist.name} {ep.dist.version}"

    def register(self, plugin: ModuleType | object, name: str | None = None) -> None:
        """Register a plugin object (a module or any object with hookimpl methods)."""
        self.pm.register(plugin, name=name)
        self.__dict__.pop("registry", None)

    @cached_property
    def registry(self) -> Registry:
        registry = Registry(broken=list(self.broken), versions=dict(self.versions))
        for hook_name, table in (("register_metrics", registry.metrics), ("register_datasets", registry.datasets)):
            kind = "metric" if hook_name == "register_metrics" else "dataset"
            hook = getattr(self.pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                plugin_name = impl.plugin_name

                def register(item, _plugin=plugin_name, _table=table, _kind=kind):
                    _add(registry, _table, _kind, item, _plugin)

                try:
                    impl.function(register)
                except PluginError:
                    raise
                except Exception as exc:
                    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                    registry.broken.append(BrokenPlugin(plugin_name, f"{hook_name} failed: {detail}"))
        return registry


def _add(registry: Registry, table: dict, kind: str, item, plugin: str) -> None:
    expected = Metric if kind == "metric" else DatasetSpec
    if not isinstance(item, expected):
        raise PluginError(
            f"plugin {plugin!r} registered {item!r} as a {kind}; register() takes an instance of "
            f"iqabench.{expected.__name__}"
        )
    name = item.name
    if not name:
        raise PluginError(f"plugin {plugin!r} registered a {kind} without a name: {item!r}")
    owner = registry.owners.get((kind, name))
    if owner is not None:
        raise PluginError(f"{kind} {name!r} is registered by two plugins: {owner!r} and {plugin!r}")
    registry.owners[(kind, name)] = plugin
    table[name] = item


_default: PluginManager | None = None


def get_plugin_manager() -> PluginManager:
    """The process-wide manager, built on first use."""
    global _default
    if _default is None:
        _default = PluginManager()
    return _default


def reset_plugin_manager() -> None:
    """Forget the process-wide manager (tests, or after changing IQABENCH_PLUGINS)."""
    global _default
    _default = None


def hook_names() -> list[str]:
    """Every hook declared in :mod:`iqabench.hookspecs` (used by the test that each hook is tested)."""
    marker = f"{hookspecs.PROJECT}_spec"  # the attribute pluggy's HookspecMarker sets on a hook spec
    return sorted(name for name, value in vars(hookspecs).items() if hasattr(value, marker))


__all__ = ["PluginManager", "Registry", "BrokenPlugin", "get_plugin_manager", "reset_plugin_manager", "hook_names"]
