"""A sample: one image to score with its label, and a sample refused when its dataset was opened."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True)
class Sample:
    """One image to score, with its label: what a reader returns for each image of a dataset.

    Attributes
    ----------
    id : str
        Unique within the dataset; usually the path relative to the root, with ``/``.
    path : pathlib.Path
        The image file.
    ref_path : pathlib.Path or None
        Its reference image, for full-reference metrics; None for a no-reference dataset.
    mos : float or None
        Its label (MOS, or DMOS when the card says ``lower_better``); None for an unlabelled dataset.
    std : float or None
        The label's standard deviation, where the dataset gives it.
    group : str or None
        Its group (reference image, person, photo) for grouped results.
    split : str or None
        Its split (``"train"``, ``"test"``), where the dataset gives one.

    Examples
    --------
    >>> from pathlib import Path
    >>> from iqabench import Sample
    >>> sample = Sample("blur/cat_1.png", Path("photos/blur/cat_1.png"), ref_path=Path("photos/cat.png"),
    ...                 mos=4.0, group="cat")
    >>> sample.id, sample.mos, sample.group
    ('blur/cat_1.png', 4.0, 'cat')
    """

    id: str
    path: Path
    ref_path: Path | None = None
    mos: float | None = None
    std: float | None = None
    group: str | None = None
    split: str | None = None


class Refused(NamedTuple):
    """A sample refused when its dataset was opened, and why: a per-image failure that never reaches a
    metric.

    Attributes
    ----------
    sample : Sample
        The sample.
    reason : str
        Why, and what to do about it: outside the dataset root, a dangling symbolic link, a directory,
        not a regular file.
    reference : bool
        True when only its reference image is refused: a no-reference metric could still score the
        image itself.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from iqabench import DatasetCard, DatasetSpec, Sample
    >>> from iqabench.dataset import ReadResult, open_dataset
    >>> def read(card, root, options):
    ...     return ReadResult([Sample("a.png", root / "a.png", mos=4.0), Sample("b.png", root / "b.png", mos=2.0)])
    >>> spec = DatasetSpec(DatasetCard("my-photos", format="custom", mos_range=(1.0, 5.0)), read)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = Path(tmp.name)
    >>> (root / "a.png").write_bytes(b"")  # opening checks that files exist; it decodes none
    0
    >>> dataset = open_dataset(spec, root)
    >>> (root / "b.png").mkdir()
    >>> refused = open_dataset(spec, root).refused
    >>> [(r.sample.id, r.reason.split(":")[0], r.reference) for r in refused]
    [('b.png', 'a directory, not an image file', False)]
    >>> tmp.cleanup()
    """

    sample: Sample
    reason: str
    reference: bool = False
