"""A subset of a dataset's samples, named by a file: ``--subset FILE[:PART]`` and a suite's ``subset`` key.

FILE is a text file of sample ids, one per line (blank lines and lines starting with ``#`` are skipped), or
a JSON object whose PART key holds a list of ids, such as a training split (``splits/livec.json:test``
holds the LIVE Challenge images GADA never trained on). Ids are as the dataset names them
(``iqabench export`` shows them). The restricted dataset is a label set of its own in the store: its
statistics use those samples only, and scores already stored for them are reused, never recomputed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .dataset import Dataset
from .errors import DatasetError, UsageError


def parse(spec: str, base: Path | None = None) -> tuple[Path, str | None]:
    """``FILE[:PART]`` → (path, part); a relative FILE is taken from ``base`` (default: the current folder)."""
    path, part = spec, None
    head, colon, tail = spec.rpartition(":")
    if colon and head and tail and "/" not in tail and not Path(spec).expanduser().exists():
        path, part = head, tail
    path = Path(path).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return path, part


def read_ids(path: Path, part: str | None) -> list[str]:
    """The sample ids a subset file lists (its ``part`` for a JSON file)."""
    if not path.is_file():
        raise UsageError(f"subset file {str(path)!r} does not exist; give a text file of sample ids (one per line) "
                         "or a JSON file and its part (FILE.json:PART)")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() != ".json":
        if part is not None:
            raise UsageError(f"subset {str(path)!r}: ':{part}' names a part, which only a JSON file has")
        return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"subset file {str(path)!r} is not valid JSON: {exc}") from None
    lists = {key: value for key, value in data.items() if isinstance(value, list)} if isinstance(data, dict) else {}
    if part is None or part not in lists:
        say = f"has no list {part!r}" if part is not None else "needs a part"
        raise UsageError(f"subset file {str(path)!r} {say}: write FILE.json:PART, with PART one of "
                         f"{sorted(lists) or '(none: the file holds no list of ids)'}")
    ids = lists[part]
    if not all(isinstance(i, str) for i in ids):
        raise UsageError(f"subset {str(path)}:{part} must be a list of sample ids (strings)")
    return ids


def restrict(dataset: Dataset, ids: list[str], source: str) -> Dataset:
    """The dataset with only the samples ``ids`` names (present, missing and refused alike). An id the
    dataset does not have is an error: the subset file belongs to another dataset or another version."""
    wanted = set(ids)
    known = {s.id for s in dataset.samples + dataset.missing} | {r.sample.id for r in dataset.refused}
    unknown = sorted(wanted - known)
    if unknown:
        raise DatasetError(f"subset {source}: {len(unknown)} of its {len(wanted)} ids are not samples of "
                           f"{dataset.name!r} at {dataset.root}, first: {unknown[:5]}. Is it the subset of this "
                           "dataset? Ids are as `iqabench export` shows them.")
    return replace(dataset,
                   samples=[s for s in dataset.samples if s.id in wanted],
                   missing=[s for s in dataset.missing if s.id in wanted],
                   refused=[r for r in dataset.refused if r.sample.id in wanted])


def apply(dataset: Dataset, spec: str, base: Path | None = None) -> Dataset:
    """:func:`restrict` to the subset ``spec`` (``FILE[:PART]``) names."""
    path, part = parse(spec, base)
    return restrict(dataset, read_ids(path, part), f"{path}{':' + part if part else ''}")


__all__ = ["apply", "parse", "read_ids", "restrict"]
