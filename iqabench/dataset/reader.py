"""What a dataset plugin registers: a card with the reader of its layout, and what the reader returns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .card import DatasetCard
from .sample import Sample


@dataclass(frozen=True)
class ReadResult:
    """What a reader (:data:`Reader`) found at a dataset's root.

    Attributes
    ----------
    samples : list of Sample
        Every sample the labels name, whether or not its files exist (:func:`open_dataset` sorts them).
    label_file : pathlib.Path or None
        The label file it read; None when the reader makes the labels itself.
    group_by : str or None
        What a sample's group is, in words (``"reference"``, ``"photo"``, ``"person"``); None when there
        are no groups.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import Sample
    >>> from iqabench.dataset import ReadResult
    >>> result = ReadResult([Sample("a.png", Path("photos/a.png"), mos=3.0, group="cat")], group_by="photo")
    >>> len(result.samples), result.label_file, result.group_by
    (1, None, 'photo')
    """

    samples: list[Sample]
    label_file: Path | None = None
    group_by: str | None = None


#: reader(card, root, options) -> ReadResult. Raises DatasetError when the root is not in the card's layout.
Reader = Callable[[DatasetCard, Path, dict], ReadResult]


@dataclass(frozen=True)
class DatasetSpec:
    """What a plugin registers (:func:`iqabench.hookspecs.register_datasets`): a card and the reader for its
    layout.

    The reader is called as ``reader(card, root, options)`` and returns a :class:`ReadResult`; it raises
    :class:`iqabench.errors.DatasetError` when the root is not laid out as the card says. ``options`` holds
    the card's options and the caller's (``labels``: another label file; ``allow_outside_root``).

    Attributes
    ----------
    card : DatasetCard
        What the dataset is.
    reader : Reader
        How to read it.

    Examples
    --------
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult
    >>> def read(card, root, options):
    ...     return ReadResult([Sample(f"{i}.png", root / f"{i}.png", mos=float(i)) for i in range(1, 4)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> spec.name
    'my-photos'
    """

    card: DatasetCard
    reader: Reader

    @property
    def name(self) -> str:
        """The card's name."""
        return self.card.name
