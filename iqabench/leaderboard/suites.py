"""Suites: ``leaderboards/suites/<name>.toml`` names datasets and the metrics to score on each.

A dataset's root comes from its environment variable (``root_env``) when that is set, else from
``root``: a relative ``root`` is taken from the folder that holds ``leaderboards/``. Without either,
the dataset card's default root is used. ``labels`` is a label file (datasets that take one, such as
``metainfo``), relative to the root; ``subset`` (``FILE[:PART]``, :mod:`iqabench.subsets`, relative to the
folder that holds ``leaderboards/``) keeps only the samples it lists; ``id`` names the entry's files and
section when one dataset appears twice (default: the dataset's name). A suite's ``about`` is Markdown about
it, which ``leaderboards/README.md`` prints in its introduction. See ``leaderboards/suites/ci.toml``.

Suites are looked for in one folder only, ``<out>/suites``: ``out`` is ``iqabench leaderboard --out``
(default ``leaderboards``, relative to the current folder). A missing suite is a usage error that names
that folder, what it holds, how to point ``--out`` elsewhere, and the source checkout's suites if
iqabench runs from one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import tomllib

from ..errors import UsageError


@dataclass(frozen=True)
class SuiteDataset:
    """One dataset of a suite and the metrics scored on it."""

    name: str
    metrics: tuple[str, ...]
    root: Path | None = None
    root_env: str | None = None
    allow_missing: bool = False
    limit: int | None = None
    labels: str | None = None
    #: ``FILE[:PART]`` as the suite writes it, and with FILE resolved from the suite's base folder.
    subset: str | None = None
    subset_resolved: str | None = None
    #: the entry's name in files and sections; None: the dataset's name.
    id: str | None = None

    @property
    def key(self) -> str:
        return self.id or self.name

    def where(self) -> str:
        """How a user points the suite at this dataset, for messages."""
        return f"set {self.root_env}" if self.root_env else "set IQABENCH_DATA"


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    device: str
    datasets: tuple[SuiteDataset, ...]
    #: Markdown about the suite for the index's introduction; empty: none.
    about: str = ""


_SUITE_KEYS = {"title", "device", "datasets", "about"}
_DATASET_KEYS = {"name", "metrics", "root", "root_env", "allow_missing", "limit", "labels", "subset", "id"}


def suite_path(out: Path, name: str) -> Path:
    return Path(out) / "suites" / f"{name}.toml"


def load_suite(out: Path, name: str) -> Suite:
    """Read ``<out>/suites/<name>.toml``; unknown keys and missing files are usage errors."""
    path = suite_path(out, name)
    if not path.is_file():
        raise UsageError(_no_suite(Path(out), name, path))
    with open(path, "rb") as f:
        data = tomllib.load(f)
    _no_unknown(path, data, _SUITE_KEYS)
    base = path.resolve().parents[2]
    datasets = []
    for entry in data.get("datasets", []):
        _no_unknown(path, entry, _DATASET_KEYS)
        datasets.append(SuiteDataset(
            name=entry["name"],
            metrics=tuple(entry["metrics"]),
            root=_root(entry, base),
            root_env=entry.get("root_env"),
            allow_missing=bool(entry.get("allow_missing", False)),
            limit=entry.get("limit"),
            labels=entry.get("labels"),
            subset=entry.get("subset"),
            subset_resolved=_subset(entry, base),
            id=entry.get("id"),
        ))
    if not datasets:
        raise UsageError(f"suite {path} names no [[datasets]]")
    keys = [d.key for d in datasets]
    if len(set(keys)) < len(keys):
        raise UsageError(f"suite {path}: a dataset appears twice without an id of its own ({keys}); give each "
                         "entry of one dataset a distinct `id`")
    return Suite(name=name, title=data.get("title", name), device=data.get("device", "cpu"), datasets=tuple(datasets),
                 about=data.get("about", ""))


def _no_suite(out: Path, name: str, path: Path) -> str:
    """Where suites were looked for (the one folder ``<out>/suites``), what is there, and how to point elsewhere."""
    folder = path.parent.resolve()
    if folder.is_dir():
        known = sorted(p.stem for p in folder.glob("*.toml"))
        there = f"Suites there: {', '.join(known)}." if known else "It holds no suite (*.toml)."
    else:
        there = "That folder does not exist."
    relative = "" if out.is_absolute() else f", relative to the current folder {Path.cwd()}"
    lines = [
        f"no suite {name!r}: {path.resolve()} does not exist.",
        (f"Suites are looked for in one folder only, <out>/suites/ ({folder}): "
         f"--out is {str(out)!r}{relative}. {there}"),
        (f"Point --out (out= in the Python API) at the folder that holds suites/, e.g. `iqabench leaderboard "
         f"--suite {name} --out /path/to/iqabench/leaderboards`; the generated files are written there too."),
    ]
    checkout = _checkout_suites()
    if checkout is not None and checkout != folder:
        known = sorted(p.stem for p in checkout.glob("*.toml"))
        run_there = f"run from {checkout.parents[1]}, or " if out == Path("leaderboards") else ""
        lines.append(f"This installation's source checkout has suites in {checkout} ({', '.join(known) or 'none'}): "
                     f"{run_there}pass --out {checkout.parent}.")
    return "\n".join(lines)


def _checkout_suites() -> Path | None:
    """``leaderboards/suites`` of the source checkout iqabench runs from (an editable install), if there is one."""
    folder = Path(__file__).resolve().parents[2] / "leaderboards" / "suites"
    return folder if folder.is_dir() else None


def _root(entry: dict, base: Path) -> Path | None:
    env = entry.get("root_env")
    if env and os.environ.get(env):
        return Path(os.environ[env]).expanduser()
    if "root" in entry:
        root = Path(entry["root"]).expanduser()
        return root if root.is_absolute() else base / root
    return None


def _subset(entry: dict, base: Path) -> str | None:
    if "subset" not in entry:
        return None
    from ..subsets import parse

    path, part = parse(entry["subset"], base)
    return f"{path}:{part}" if part else str(path)


def _no_unknown(path: Path, data: dict, known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"suite {path}: unknown keys {unknown}; known keys are {sorted(known)}")
