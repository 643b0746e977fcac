"""Registers one DatasetSpec per card in ``datasets/``, with the reader of its format."""

from __future__ import annotations

from importlib.resources import as_file, files

from iqabench import DatasetCard, DatasetSpec, hookimpl
from iqabench.dataset import Reader
from iqabench.errors import PluginError

from . import csiq, embedded, folder, gfiqa, kadid, koniq, live, livec, metainfo, tid2013

#: card ``format`` -> the reader of that layout
READERS: dict[str, Reader] = {
    "csiq": csiq.read,
    "embedded": embedded.read,
    "folder": folder.read,
    "gfiqa": gfiqa.read,
    "kadid10k": kadid.read,
    "koniq10k": koniq.read,
    "live": live.read,
    "livec": livec.read,
    "metainfo": metainfo.read,
    "tid2013": tid2013.read,
}


def cards() -> list[DatasetCard]:
    """Every ``*.toml`` card in ``datasets/`` (shipped as ``iqabench_datasets/cards``), sorted by file name."""
    found = []
    for entry in sorted((files("iqabench_datasets") / "cards").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            with as_file(entry) as path:
                found.append(DatasetCard.from_toml(path))
    return found


@hookimpl
def register_datasets(register):
    for card in cards():
        if card.format not in READERS:
            raise PluginError(f"dataset card {card.name!r} has format {card.format!r}; known: {sorted(READERS)}")
        register(DatasetSpec(card, READERS[card.format]))
