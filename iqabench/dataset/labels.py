"""The validation of a dataset's labels: one per image, each a finite number within the card's range."""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

from ..errors import DatasetError
from .card import DatasetCard
from .sample import Sample


def validate_labels(card: DatasetCard, samples: Sequence[Sample], source: str) -> None:
    """Reject duplicate ids, unlabelled samples, NaN or infinite labels and labels outside the card's
    range, naming the first offenders.

    A dataset whose samples are all unlabelled passes: a folder of images, or a label file whose MOS
    column is empty in every row (metrics score it; no correlation is computed).

    Parameters
    ----------
    card : DatasetCard
        The dataset's card (its ``mos_range`` and ``label_file``).
    samples : sequence of Sample
        What the reader returned.
    source : str
        What the labels were read from, to begin each message with.

    Raises
    ------
    iqabench.errors.DatasetError
        When an id is labelled twice, a sample has no label while others do, a label is NaN or infinite,
        or a label is outside ``card.mos_range``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, Sample
    >>> from iqabench.dataset import validate_labels
    >>> card = DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0))
    >>> validate_labels(card, [Sample("a.png", Path("a.png"), mos=3.0)], "labels.csv")
    >>> validate_labels(card, [Sample("a.png", Path("a.png"), mos=7.0)], "labels.csv")
    Traceback (most recent call last):
    ...
    iqabench.errors.DatasetError: labels.csv: 1 MOS value(s) outside the card's range [1.0, 5.0], first: ...
    """
    duplicates = [sid for sid, n in Counter(s.id for s in samples).items() if n > 1]
    if duplicates:
        raise DatasetError(
            f"{source}: {len(duplicates)} image(s) labelled more than once, first: {duplicates[:5]}. "
            "Each image must have exactly one label row; fix or deduplicate the label file."
        )
    if all(s.mos is None for s in samples):
        return
    unlabelled = [s.id for s in samples if s.mos is None]
    if unlabelled:
        raise DatasetError(
            f"{source}: {len(unlabelled)} image(s) without a MOS, first: {unlabelled[:5]}. "
            "Every row needs a numeric score."
        )
    bad = [s.id for s in samples if s.mos is not None and not math.isfinite(s.mos)]
    if bad:
        raise DatasetError(
            f"{source}: {len(bad)} MOS value(s) are NaN or infinite, first: {bad[:5]}. "
            "Fix the label file or remove those rows."
        )
    if card.mos_range is not None:
        lo, hi = card.mos_range
        out = [(s.id, s.mos) for s in samples if s.mos is not None and not lo <= s.mos <= hi]
        if out:
            raise DatasetError(
                f"{source}: {len(out)} MOS value(s) outside the card's range [{lo}, {hi}], first: {out[:3]}. "
                "Is this the right label file for this dataset?"
            )
