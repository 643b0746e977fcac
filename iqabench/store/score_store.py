"""The score store as one object: a connection to the file with every part of the store on it."""

from __future__ import annotations

from .claims import Claims
from .export import Export
from .file_hashes import FileHashes
from .labels import Labels
from .runs import Runs
from .scores import Scores


class ScoreStore(FileHashes, Runs, Claims, Scores, Labels, Export):
    """A connection to one store file. Cheap to open; safe to open from several processes.

    ``readonly=True`` opens it for reading only (see :mod:`iqabench.store`): it is neither created nor
    migrated, and a write raises :class:`~iqabench.store.StoreError`."""
