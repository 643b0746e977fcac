"""Every setting the harness reads from the environment, in one place, read at call time.

Nothing here runs at import. A value that cannot be used (``IQABENCH_MAX_PIXELS=abc``) raises
:class:`~iqabench.errors.UsageError` naming the variable, which the command line prints as exit 2.
Options a caller passes win over the environment; :func:`overrides` scopes them to a block (the CLI's
``--offline``) without writing ``os.environ``.
"""

from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Iterator

from .errors import UsageError

STORE_ENV = "IQABENCH_STORE"
DATA_ENV = "IQABENCH_DATA"
WEIGHTS_DIR_ENV = "IQABENCH_WEIGHTS_DIR"
OFFLINE_ENV = "IQABENCH_OFFLINE"
MAX_PIXELS_ENV = "IQABENCH_MAX_PIXELS"
BATCH_PIXELS_ENV = "IQABENCH_BATCH_PIXELS"
PLUGINS_ENV = "IQABENCH_PLUGINS"
DISABLE_PLUGINS_ENV = "IQABENCH_DISABLE_PLUGINS"

#: decoded pixels allowed per image unless IQABENCH_MAX_PIXELS or --max-pixels says otherwise.
DEFAULT_MAX_PIXELS = 100_000_000
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}

_overrides: ContextVar[dict] = ContextVar("iqabench_settings_overrides", default={})


@contextlib.contextmanager
def overrides(**values) -> Iterator[None]:
    """Within the block, ``offline=True`` (and the like) win over the environment."""
    token = _overrides.set({**_overrides.get(), **{k: v for k, v in values.items() if v is not None}})
    try:
        yield
    finally:
        _overrides.reset(token)


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()


def store_path() -> Path:
    """``$IQABENCH_STORE``, else ``~/.cache/iqabench/scores.sqlite``."""
    value = os.environ.get(STORE_ENV, "").strip()
    return Path(value).expanduser() if value else _cache_home() / "iqabench" / "scores.sqlite"


def data_dir() -> Path:
    """Where dataset roots live by default: ``$IQABENCH_DATA``, else ``~/.cache/iqabench/data``."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else _cache_home() / "iqabench" / "data"


def weights_dir() -> Path | None:
    """The user's weights folder, ``$IQABENCH_WEIGHTS_DIR``, or None when unset."""
    value = os.environ.get(WEIGHTS_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def torch_hub_dir() -> Path:
    """torch's hub cache, as ``torch.hub.get_dir()`` computes it, without importing torch:
    ``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/torch/hub``, else ``~/.cache/torch/hub``."""
    torch_home = os.environ.get("TORCH_HOME")
    return (Path(torch_home).expanduser() if torch_home else _cache_home() / "torch") / "hub"


def offline() -> bool:
    """True when downloads are off: an ``offline=True`` override, or ``IQABENCH_OFFLINE`` set to 1/true/yes/on."""
    if _overrides.get().get("offline"):
        return True
    return _flag(OFFLINE_ENV)


def max_pixels() -> int:
    """``--max-pixels`` (an override), else ``$IQABENCH_MAX_PIXELS``, else :data:`DEFAULT_MAX_PIXELS`."""
    override = _overrides.get().get("max_pixels")
    if override is not None:
        return int(override)
    return _pixels(MAX_PIXELS_ENV) or DEFAULT_MAX_PIXELS


def batch_pixels(per_image: int | None = None) -> int:
    """Decoded pixels allowed in one batch: ``$IQABENCH_BATCH_PIXELS``, else twice ``per_image`` (default
    :func:`max_pixels`). 12 bytes each (float32 × 3 channels): the default, 200 megapixels, is 2.4 GB."""
    return _pixels(BATCH_PIXELS_ENV) or 2 * (per_image if per_image is not None else max_pixels())


def _pixels(variable: str) -> int | None:
    """A positive whole number of pixels from ``variable``; None when unset; a UsageError when unreadable."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    try:
        pixels = int(value)
    except ValueError:
        pixels = 0
    if pixels < 1:
        raise UsageError(f"{variable}={value!r} is not a positive whole number of pixels (e.g. 200000000)")
    return pixels


def trusted_weights() -> frozenset[Path] | str:
    """The weight files the user trusts to be loaded although iqabench cannot verify them: ``"all"``, or
    the resolved paths (files, or folders whose files are all trusted) of a ``trust_weights=[...]``
    override and of ``$IQABENCH_TRUST_WEIGHTS`` (comma-separated, or ``all``); empty when neither is set."""
    override = _overrides.get().get("trust_weights") or ()
    parts = override.split(",") if isinstance(override, str) else [override] if isinstance(override, os.PathLike) \
        else list(override)
    parts += os.environ.get("IQABENCH_TRUST_WEIGHTS", "").split(",")
    parts = [str(part).strip() for part in parts if str(part).strip()]
    if any(part.lower() == "all" for part in parts):
        return "all"
    return frozenset(Path(part).expanduser().resolve() for part in parts)


def plugin_names(variable: str) -> set[str] | None:
    """The comma-separated names in ``IQABENCH_PLUGINS`` or ``IQABENCH_DISABLE_PLUGINS``; None when unset."""
    value = os.environ.get(variable)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _flag(variable: str) -> bool:
    value = os.environ.get(variable, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(f"{variable}={value!r} is not a yes/no value; use 1 or 0")


ALLOW_OUTSIDE_ROOT_ENV = "IQABENCH_ALLOW_OUTSIDE_ROOT"


def allow_outside_root() -> bool:
    """True when label files may name images outside the dataset root (``../``, absolute paths, links
    leading out): an ``allow_outside_root=True`` override, or ``IQABENCH_ALLOW_OUTSIDE_ROOT`` set to 1."""
    if _overrides.get().get("allow_outside_root"):
        return True
    return _flag(ALLOW_OUTSIDE_ROOT_ENV)
