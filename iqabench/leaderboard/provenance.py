"""What every table states about how its numbers were made: versions, weights, data, device, date."""

from __future__ import annotations

import json

from .. import __version__
from ..hashing import file_sha256
from .build import DatasetResult

#: the provenance key whose value changes on every build; ``check`` ignores it.
DATE = "date"


def provenance(result: DatasetResult, date: str) -> list[tuple[str, str]]:
    """(key, value) lines, in the order they are printed under a table."""
    dataset, rows = result.dataset, result.rows
    card = dataset.card
    images = f"{len(dataset.samples)} present, {len(dataset.missing)} missing of {card.expected_images or '?'} expected"
    if result.entry.limit is not None:
        images += f"; the first {result.entry.limit} scored (suite limit)"
    lines = [
        ("iqabench", __version__),
        ("plugins", ", ".join(sorted({r.plugin for r in rows}))),
        ("dataset card", f"{card.name}: {card.title} ({card.homepage})" if card.homepage else card.name),
        ("images", images),
        ("label file", _label_file(result)),
    ]
    for row in rows:
        weights = "; ".join(f"{name} sha256 {sha}" for name, sha in sorted(row.weights.items())) or "none"
        settings = json.dumps({k: v for k, v in row.config.items() if k != "class"}, sort_keys=True)
        lines.append((row.metric, f"config {row.config_hash} {settings}, weights: {weights}"))
    lines += [("device", ", ".join(sorted({d for r in rows for d in r.devices}))), (DATE, date)]
    return lines


def _label_file(result: DatasetResult) -> str:
    path = result.dataset.label_file
    if path is None:
        return "none: the labels are made by the dataset's reader (see its card)"
    return f"{path.relative_to(result.dataset.root)} sha256 {file_sha256(path)}"
