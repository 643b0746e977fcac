"""Registers one DatasetSpec per card in ``datasets/``, with the reader of its format.

A reader's module is imported when the dataset is opened, not when plugins load, so that listing
datasets does not import scipy or scikit-image.
"""

from __future__ import annotations

from importlib import import_module
from importlib.resources import as_file, files

from iqabench import DatasetCard, DatasetSpec, hookimpl
from iqabench.dataset import ReadResult, Reader
from iqabench.errors import PluginError

#: card ``format`` -> the module (of this package) whose ``read`` reads that layout
READER_MODULES: dict[str, str] = {
    "csiq": "csiq",
    "embedded": "embedded",
    "embedded-faces": "embedded_faces",
    "folder": "folder",
    "gfiqa": "gfiqa",
    "kadid10k": "kadid",
    "koniq10k": "koniq",
    "live": "live",
    "livec": "livec",
    "metainfo": "metainfo",
    "metainfo-release": "release_metainfo",
    "person-folders": "person_folders",
    "tid2013": "tid2013",
}


def reader(format_name: str) -> Reader:
    """The reader of a card format, importing its module on first use."""
    module = READER_MODULES[format_name]

    def read(card: DatasetCard, root, options: dict) -> ReadResult:
        return import_module(f"{__package__}.{module}").read(card, root, options)

    read.__qualname__ = f"read_{module}"
    return read


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
        if card.format not in READER_MODULES:
            raise PluginError(f"dataset card {card.name!r} has format {card.format!r}; known: {sorted(READER_MODULES)}")
        register(DatasetSpec(card, reader(card.format)))
