"""The dataset contract: cards (one TOML per dataset), samples, and label validation.

A :class:`DatasetSpec` pairs a :class:`DatasetCard` with a reader, a function that turns a root
folder into a :class:`ReadResult`: the samples, the label file it actually read and what its groups
are. :func:`open_dataset` runs the reader, validates the labels and splits the samples into three:
those whose image files exist, those that are missing, and those refused with a reason (one
``lstat`` per file, kept for hashing). A sample is refused, for every reader alike, when its image or
reference resolves outside the dataset root (a ``../`` or absolute name in a label file, a symbolic
link leading out; allowed with ``IQABENCH_ALLOW_OUTSIDE_ROOT=1`` or the open option
``allow_outside_root``), is a dangling symbolic link, a directory or another non-regular file. A
refused file outside the root is never opened, not even to hash it; the runner counts refused samples
as failed images with their reason.
"""

from .card import CARD_KINDS, DatasetCard
from .files import DANGLING_LINK, DIRECTORY, LINK_LOOP, MISSING, NOT_REGULAR, OUTSIDE_ROOT
from .labels import validate_labels
from .opened import Dataset
from .opening import open_dataset
from .reader import DatasetSpec, Reader, ReadResult
from .sample import Refused, Sample

__all__ = [
    "CARD_KINDS",
    "DANGLING_LINK",
    "DIRECTORY",
    "LINK_LOOP",
    "MISSING",
    "NOT_REGULAR",
    "OUTSIDE_ROOT",
    "Dataset",
    "DatasetCard",
    "DatasetSpec",
    "ReadResult",
    "Reader",
    "Refused",
    "Sample",
    "open_dataset",
    "validate_labels",
]
