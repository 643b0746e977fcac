"""pyiqa's own metric table (``DEFAULT_CONFIGS``), read without importing pyiqa.

``import pyiqa`` pulls in transformers, timm and more and takes seconds, so listing metrics loads
only the file ``pyiqa/default_model_configs.py`` (it imports nothing but ``collections``).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

INSTALL_HINT = "pip install 'iqabench[pyiqa]'"


@cache
def default_configs() -> dict[str, dict] | None:
    """pyiqa's ``DEFAULT_CONFIGS`` (metric name -> config), or None when pyiqa is not installed."""
    spec = importlib.util.find_spec("pyiqa")
    if spec is None or not spec.submodule_search_locations:
        return None
    paths = [Path(folder) / "default_model_configs.py" for folder in spec.submodule_search_locations]
    path = next((p for p in paths if p.is_file()), None)
    if path is None:  # not a PluginError: the plugin manager records this plugin as broken and goes on
        raise RuntimeError(
            f"pyiqa at {list(spec.submodule_search_locations)} has no default_model_configs.py; "
            f"install a supported version ({INSTALL_HINT})"
        )
    file_spec = importlib.util.spec_from_file_location("iqabench_pyiqa._pyiqa_default_model_configs", path)
    assert file_spec is not None and file_spec.loader is not None
    module = importlib.util.module_from_spec(file_spec)
    file_spec.loader.exec_module(module)
    return dict(module.DEFAULT_CONFIGS)


@cache
def pyiqa_version() -> str | None:
    """The installed pyiqa version, or None."""
    try:
        return version("pyiqa")
    except PackageNotFoundError:
        return None


def parse_score_range(text: str | None) -> tuple[float | None, float | None]:
    """pyiqa's rough range string as floats: ``'~0, ~100'`` -> (0.0, 100.0), ``'0, ~'`` -> (0.0, None).

    A leading ``~`` (approximate) is dropped; an empty bound is open (None). Anything else, such as
    ``'quality: 0, 1; rank: 0, 2'``, gives (None, None).
    """
    parts = (text or "").split(",")
    if len(parts) != 2:
        return (None, None)
    bounds: list[float | None] = []
    for part in parts:
        value = part.strip().lstrip("~").strip()
        if not value:
            bounds.append(None)
            continue
        try:
            bounds.append(float(value))
        except ValueError:
            return (None, None)
    return (bounds[0], bounds[1])
