"""The plugin manager: the built-in plugins (by import) and third-party ones (entry points of the group
``iqabench``), and the :class:`Registry` of what they register.

Built-ins are imported by module name (:data:`BUILTIN_PLUGINS`), so a source checkout has them without
being installed; third-party plugins come from entry points. ``IQABENCH_PLUGINS`` (comma-separated
plugin names) loads only those, ``IQABENCH_DISABLE_PLUGINS`` skips those. Hooks are called through
pluggy, one plugin at a time, so that a plugin that fails to import, implements a hook that does not
exist (a misspelling), registers something that is not a metric, or whose hook raises is recorded as
broken with its error, and the others load. A metric named ``<namespace>:<name>`` (``pyiqa:ssim``)
belongs to a namespace: listings show it only when asked.
"""

from __future__ import annotations

import difflib
import importlib
import os
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType

import pluggy

from . import __version__, hookspecs, settings
from .dataset import DatasetSpec
from .errors import PluginError, UsageError
from .metric import Metric
from .trainer import Trainer

ENTRY_POINT_GROUP = "iqabench"
#: plugin name -> module of the plugins that ship with iqabench.
BUILTIN_PLUGINS = {"datasets": "iqabench_datasets.plugin", "pyiqa": "iqabench_pyiqa.plugin",
                   "effres": "iqabench_effres.plugin", "msfr": "iqabench_msfr.plugin",
                   "gada": "iqabench_gada.plugin", "gfiqa-prior": "iqabench_gfiqa_prior.plugin"}
#: what each built-in plugin registers, for the message of an IQABENCH_PLUGINS that leaves it out.
BUILTIN_PROVIDES = {"datasets": "every dataset, default included", "pyiqa": "niqe, brisque, musiq, pyiqa:<name>",
                    "effres": "the effres metrics and trainer", "msfr": "the msfr metric and trainer",
                    "gada": "the gada metrics and trainer",
                    "gfiqa-prior": "the gfiqa-prior metrics and trainer"}
#: hook name -> what it registers.
REGISTERS = {"register_metrics": "metric", "register_datasets": "dataset", "register_trainers": "trainer"}
#: what each kind of registered thing must be an instance of.
EXPECTED = {"metric": Metric, "dataset": DatasetSpec, "trainer": Trainer}


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
    trainers: dict[str, Trainer] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    broken: list[BrokenPlugin] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    #: why plugins that are installed were not loaded (IQABENCH_PLUGINS / IQABENCH_DISABLE_PLUGINS); "" if none.
    left_out: str = ""

    def metric(self, name: str) -> Metric:
        try:
            return self.metrics[name]
        except KeyError:
            raise UsageError(_unknown("metric", name, self.metrics, self.broken, self.left_out)) from None

    def dataset(self, name: str) -> DatasetSpec:
        try:
            return self.datasets[name]
        except KeyError:
            raise UsageError(_unknown("dataset", name, self.datasets, self.broken, self.left_out)) from None

    def trainer(self, name: str) -> Trainer:
        try:
            return self.trainers[name]
        except KeyError:
            raise UsageError(_unknown("trainer", name, self.trainers, self.broken, self.left_out)) from None

    def plugin_of(self, kind: str, name: str) -> str:
        """``"<plugin> (<distribution> <version>)"`` of what registered a metric or dataset."""
        owner = self.owners[(kind, name)]
        return f"{owner} ({self.versions.get(owner, 'version unknown')})"


def namespace_of(name: str) -> str | None:
    """``"pyiqa"`` for ``"pyiqa:ssim"``; None for a plain name."""
    head, colon, _ = name.partition(":")
    return head if colon else None


def listed_names(known) -> tuple[list[str], dict[str, int]]:
    """The plain names, sorted, and how many names each namespace holds."""
    plain, namespaces = [], {}
    for name in sorted(known):
        namespace = namespace_of(name)
        if namespace is None:
            plain.append(name)
        else:
            namespaces[namespace] = namespaces.get(namespace, 0) + 1
    return plain, namespaces


def close_names(name: str, known) -> list[str]:
    """Up to three known names like ``name``, best first: misspelt (``nique`` -> ``niqe``), cut short
    (``tid`` -> ``tid2013``), or with a namespace given or left out (``ssim`` -> ``pyiqa:ssim``,
    ``pyiqa:niqe`` -> ``niqe``; such a match counts a little less than one as written)."""
    def likeness(a: str, b: str) -> float:
        prefix = 0.8 if len(a) >= 3 and b.startswith(a) else 0.0
        return max(prefix, difflib.SequenceMatcher(None, a, b).ratio())

    def split(text: str) -> tuple[str | None, str]:
        text = text.lower()
        return namespace_of(text), text.partition(":")[2] or text

    space, wanted = split(name)
    ratios = {}
    for candidate in known:
        candidate_space, plain = split(candidate)
        ratio = likeness(wanted, plain) * (1.0 if candidate_space == space else 0.95)
        if ratio >= 0.75:
            ratios[candidate] = ratio
    return sorted(ratios, key=lambda candidate: (-ratios[candidate], candidate))[:3]


def _unknown(what: str, name: str, known: dict, broken: list[BrokenPlugin], left_out: str = "") -> str:
    plain, namespaces = listed_names(known)
    message = f"Unknown {what} {name!r}. Known {what}s: {', '.join(plain) or '(none)'}"
    for namespace, count in namespaces.items():
        message += f" and {count} more as {namespace}:<name> (iqabench list {what}s --all)"
    message += "."
    close = [repr(candidate) for candidate in close_names(name, known)]
    if close:
        message += f" Did you mean {' or '.join([', '.join(close[:-1]), close[-1]] if close[1:] else close)}?"
    if broken:
        message += " Plugins that failed to load: " + "; ".join(f"{b.name} ({b.error})" for b in broken)
    if left_out:
        message += " " + left_out
    return message


def _left_out_note(only: set[str] | None, disabled: set[str], available: list[str], skipped: list[str]) -> str:
    """What IQABENCH_PLUGINS / IQABENCH_DISABLE_PLUGINS did, naming their values and the plugins that exist;
    "" when they left nothing out and name nothing unknown."""
    unknown = sorted((only or set()) - set(available))
    if not skipped and not unknown:
        return ""
    parts = []
    if only is not None:
        value = os.environ.get(settings.PLUGINS_ENV, "")
        parts.append(f"{settings.PLUGINS_ENV}={value!r} loads only the plugins it names"
                     + (f" ({', '.join(unknown)}: no such plugin is installed)" if unknown else ""))
    if disabled:
        value = os.environ.get(settings.DISABLE_PLUGINS_ENV, "")
        parts.append(f"{settings.DISABLE_PLUGINS_ENV}={value!r} skips those it names")
    note = "; ".join(parts) + "."
    if skipped:
        note += f" Left out: {', '.join(skipped)}."
    built_in = [name for name in skipped if name in BUILTIN_PLUGINS and only is not None and name not in only]
    if built_in:
        named = [name for name in os.environ.get(settings.PLUGINS_ENV, "").split(",") if name.strip() in available]
        keep = ",".join(dict.fromkeys(name.strip() for name in named + built_in))
        provides = "; ".join(f"{name}: {BUILTIN_PROVIDES[name]}" for name in built_in)
        note += (f" The built-in plugins are left out too unless named ({provides}); to keep them, name them as "
                 f"well: {settings.PLUGINS_ENV}={keep} (or only those you need).")
    return (f"{note} Installed plugins: {', '.join(available) or '(none)'}. To load the one you need, unset the "
            "variable or change it.")


class PluginManager:
    """Wraps a :class:`pluggy.PluginManager`; :attr:`registry` is built on first use.

    ``discover=False`` loads neither the built-ins nor entry points (tests register their own plugins).
    """

    def __init__(self, discover: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.broken: list[BrokenPlugin] = []
        self.versions: dict[str, str] = {}
        #: the plugins found (built-in and entry points) and those the environment left out, by name.
        self.available: list[str] = []
        self.skipped: list[str] = []
        self.left_out = ""
        self._registry: Registry | None = None
        if discover:
            self._load_builtins()
            self._load_entry_points()
            self.left_out = _left_out_note(settings.plugin_names(settings.PLUGINS_ENV),
                                           settings.plugin_names(settings.DISABLE_PLUGINS_ENV) or set(),
                                           self.available, self.skipped)

    def _wanted(self, name: str) -> bool:
        only = settings.plugin_names(settings.PLUGINS_ENV)
        disabled = settings.plugin_names(settings.DISABLE_PLUGINS_ENV) or set()
        if name not in self.available:
            self.available.append(name)
        if (only is not None and name not in only) or name in disabled:
            if name not in self.skipped:
                self.skipped.append(name)
            return False
        return not self.pm.has_plugin(name)

    def _load_builtins(self) -> None:
        for name, module in BUILTIN_PLUGINS.items():
            if self._wanted(name):
                self._load(name, lambda module=module: importlib.import_module(module), f"iqabench {__version__}")

    def _load_entry_points(self) -> None:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if self._wanted(ep.name):
                version = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "version unknown"
                self._load(ep.name, ep.load, version)

    def _load(self, name: str, load, version: str) -> None:
        try:
            self.register(load(), name)
        except Exception as exc:  # a broken plugin (import error, bad or misspelled hook) spares the others
            self.broken.append(BrokenPlugin(name, f"{type(exc).__name__}: {exc}"))
            return
        self.versions[name] = version

    def register(self, plugin: ModuleType | object, name: str | None = None) -> None:
        """Register a plugin object (a module or any object with hookimpl methods).

        Raises :class:`pluggy.PluginValidationError` (and registers nothing) when it implements a hook
        that :mod:`iqabench.hookspecs` does not declare, or with the wrong arguments."""
        name = self.pm.register(plugin, name=name)
        unknown = sorted(caller.name for caller in self.pm.hook.__dict__.values()
                         if isinstance(caller, pluggy.HookCaller) and not caller.has_spec()
                         and any(impl.plugin_name == name for impl in caller.get_hookimpls()))
        if unknown:
            self.pm.unregister(name=name)
            raise pluggy.PluginValidationError(
                plugin, f"unknown hook {', '.join(unknown)}: iqabench's hooks are {', '.join(hookspecs.names())}")
        self.pm.check_pending()
        self._registry = None

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self._collect()
        return self._registry

    def _collect(self) -> Registry:
        """Call each hook of each plugin through pluggy; a plugin whose hook raises or registers something
        wrong is broken, and nothing it registered is kept."""
        registry = Registry(broken=list(self.broken), versions=dict(self.versions), left_out=self.left_out)
        tables = {"metric": registry.metrics, "dataset": registry.datasets, "trainer": registry.trainers}
        plugins = self.pm.list_name_plugin()
        for plugin_name, _ in plugins:
            others = [p for n, p in plugins if n != plugin_name]
            staged: list[tuple[str, object]] = []
            try:
                for hook_name, kind in REGISTERS.items():
                    caller = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
                    caller(register=lambda item, kind=kind: staged.append((kind, _checked(kind, item, plugin_name))))
                _check_unique(registry, staged, plugin_name)
            except Exception as exc:
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                registry.broken.append(BrokenPlugin(plugin_name, detail))
                continue
            for kind, item in staged:
                registry.owners[(kind, item.name)] = plugin_name
                tables[kind][item.name] = item
        return registry


def _checked(kind: str, item, plugin: str):
    expected = EXPECTED[kind]
    if not isinstance(item, expected):
        raise PluginError(
            f"plugin {plugin!r} registered {item!r} as a {kind}; register() takes an instance of "
            f"iqabench.{expected.__name__}"
        )
    if not item.name:
        raise PluginError(f"plugin {plugin!r} registered a {kind} without a name: {item!r}")
    return item


def _check_unique(registry: Registry, staged: list[tuple[str, object]], plugin: str) -> None:
    seen = set()
    for kind, item in staged:
        owner = registry.owners.get((kind, item.name)) or (plugin if (kind, item.name) in seen else None)
        if owner is not None:
            raise PluginError(f"{kind} {item.name!r} is registered by two plugins: {owner!r} and {plugin!r}")
        seen.add((kind, item.name))


def load_registry() -> Registry:
    """What the built-in and installed plugins register, from a fresh manager (no process-wide state)."""
    return PluginManager().registry


__all__ = ["BUILTIN_PLUGINS", "BrokenPlugin", "PluginManager", "Registry", "load_registry", "namespace_of"]
