"""The weight files a pyiqa metric loaded here last time, for the metrics whose files pyiqa names only while
it builds them: recorded after each load in the download cache, so that availability can tell, without
building the metric, whether they are still here (then it runs offline too).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from iqabench import weights
from iqabench.hashing import file_sha256

from .configs import pyiqa_version
from .fetch import PYIQA_SUBDIR

RECORD_FILE = ".iqabench-loaded.json"


def _record_path() -> Path:
    return weights.cache_dir(PYIQA_SUBDIR) / RECORD_FILE


def _read() -> dict:
    try:
        entries = json.loads(_record_path().read_text())
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def record(metric: str, paths: Mapping[str, Path], sha256: Mapping[str, str]) -> None:
    """Note that ``metric`` loaded the files ``paths`` (name -> path) with these sha256s; a cache that cannot
    be written is left as it is (availability then says the files are still to be fetched)."""
    entries = _read()
    entries[metric] = {"pyiqa": pyiqa_version(),
                       "files": {name: {"path": str(path), "sha256": sha256[name]} for name, path in paths.items()}}
    target = _record_path()
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
        partial.replace(target)
    except OSError:
        partial.unlink(missing_ok=True)


def still_here(metric: str) -> dict[str, Path] | None:
    """The files ``metric`` loaded last time (with the pyiqa installed now), when each is still there with the
    sha256 it had; None when it has not loaded here or one of them is gone or changed."""
    entry = _read().get(metric)
    if not isinstance(entry, dict) or entry.get("pyiqa") != pyiqa_version():
        return None
    try:
        files = {name: (Path(file["path"]), file["sha256"]) for name, file in entry["files"].items()}
        if all(path.is_file() and file_sha256(path) == digest for path, digest in files.values()):
            return {name: path for name, (path, _) in files.items()}
    except (KeyError, TypeError, AttributeError, OSError):  # a damaged record: as if there were none
        pass
    return None
