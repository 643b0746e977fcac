"""Opening a dataset: read it at a root, validate its labels, sort its samples into present, missing, refused."""

from __future__ import annotations

from pathlib import Path

from .. import settings
from ..errors import DatasetError
from ..hashing import file_sha256
from .files import MISSING, FileChecks
from .labels import validate_labels
from .opened import Dataset
from .reader import DatasetSpec, ReadResult
from .sample import Refused


def open_dataset(spec: DatasetSpec, root: Path | None = None, options: dict | None = None) -> Dataset:
    """Read a dataset at a root, validate its labels, and sort its samples into present, missing and refused.

    A sample is refused, for every reader alike, when its image or reference resolves outside the root
    (a ``../`` or absolute name in a label file, a symbolic link leading out), is a dangling symbolic
    link, a directory or another non-regular file. A refused file outside the root is never opened, not
    even to hash it. Each file costs one ``lstat``, kept for hashing; no image is decoded.

    Parameters
    ----------
    spec : DatasetSpec
        The card and reader, as registered.
    root : pathlib.Path, optional
        The dataset's folder; by default the card's :meth:`~DatasetCard.default_root`. A card with option
        ``materialise = true`` has a reader that writes its data into the root, so its root need not
        exist yet.
    options : dict, optional
        For the reader: ``labels`` (another label file), ``allow_outside_root`` (let label files name
        images outside the root, as ``IQABENCH_ALLOW_OUTSIDE_ROOT=1`` does).

    Returns
    -------
    Dataset

    Raises
    ------
    iqabench.errors.DatasetError
        When the root does not exist (the message says where to get the dataset), the reader returns
        something else than a :class:`ReadResult`, or the labels are invalid (:func:`validate_labels`).

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
    >>> [s.id for s in dataset.samples], [s.id for s in dataset.missing]
    (['a.png'], ['b.png'])
    >>> dataset.root == root.resolve()
    True
    >>> open_dataset(spec, root / "elsewhere")
    Traceback (most recent call last):
    ...
    iqabench.errors.DatasetError: Dataset 'my-photos' (my-photos) was not found at ...
    >>> tmp.cleanup()
    """
    card = spec.card
    options = dict(options or {})
    root_given = root is not None
    root = (Path(root).expanduser() if root_given else card.default_root()).resolve()
    if not root.exists() and not card.options.get("materialise"):
        raise DatasetError(card.how_to_get(root, root_given))
    allow_outside = bool(options.get("allow_outside_root")) or settings.allow_outside_root()
    options["allow_outside_root"] = allow_outside  # readers that walk folders follow no link out unless allowed
    result = spec.reader(card, root, options)
    if not isinstance(result, ReadResult):
        raise DatasetError(f"the reader of dataset {card.name!r} returned {type(result).__name__}; "
                           "a reader returns iqabench.dataset.ReadResult(samples, label_file, group_by)")
    validate_labels(card, result.samples, f"dataset {card.name!r} at {root}")
    files = FileChecks(root, allow_outside)
    present, missing, refused = [], [], []
    for sample in result.samples:
        problem, reference = files.check(sample.path), False
        if problem is None and sample.ref_path is not None:
            problem = files.check(sample.ref_path)
            if problem is not None and problem is not MISSING:
                problem, reference = f"its reference image: {problem}", True
        if problem is None:
            present.append(sample)
        elif problem is MISSING:
            missing.append(sample)
        else:
            refused.append(Refused(sample, problem, reference))
    label_file = result.label_file
    return Dataset(card=card, root=root, samples=present, missing=missing, label_file=label_file,
                   label_file_sha256=file_sha256(label_file) if label_file else None, group_by=result.group_by,
                   file_stats=files.stats, refused=refused)
