"""How a task's images reach a Ray actor: by path, or as bytes through Ray's object store.

The choice is automatic, once per run (:func:`choose`):

- **paths** when every actor reads the run's probe files (the first and last pending image, and their
  references) at the same path with the same sha256 the driver computed: the data is on a shared
  filesystem (or on the driver's own machine) and each actor reads its images itself;
- **bytes** otherwise, when the pending files add up to at most :data:`SHIP_LIMIT` bytes (1 GiB): the
  driver reads each task's files as it sends the task, and the actor writes them to a temporary
  folder and decodes them from there with the same :func:`iqabench.images.load_image`, so the decoded
  pixels are the same either way;
- otherwise the run stops with an error that says where the data must be.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..dataset import Sample
from ..errors import IqabenchError

#: the most pending bytes (images and references) the driver ships through the object store.
SHIP_LIMIT = 1 << 30


@dataclass(frozen=True)
class Item:
    """One sample of a task: its index among the run's pending samples, its image and its reference (a
    path, with the file's bytes when they are shipped)."""

    index: int
    image: str
    ref: str | None = None
    image_bytes: bytes | None = None
    ref_bytes: bytes | None = None


@dataclass(frozen=True)
class Probe:
    """A file an actor must see, at this path with this sha256, for the run to send paths."""

    path: str
    sha256: str


def probes(samples: Sequence[Sample], full_reference: bool, digest: Callable[[str], str]) -> list[Probe]:
    """The first and last pending image (and their references for a full-reference metric), with their
    sha256 (``digest``: the store's cached hash of a path)."""
    chosen = [samples[0], samples[-1]] if len(samples) > 1 else list(samples)
    paths = [os.fspath(p) for s in chosen for p in (s.path, s.ref_path if full_reference else None) if p is not None]
    found = []
    for path in dict.fromkeys(paths):
        try:
            found.append(Probe(path, digest(path)))
        except OSError:  # gone since it was hashed: decoding records its failure
            continue
    return found


def choose(visible: Sequence[bool], samples: Sequence[Sample], full_reference: bool, where: str) -> bool:
    """Whether to ship bytes (True) or send paths (False), given whether each actor saw the probe files;
    raises when the files are neither visible to every actor nor small enough to ship."""
    if all(visible):
        return False
    total = 0
    for sample in samples:
        for path in (sample.path, sample.ref_path if full_reference else None):
            if path is not None:
                try:
                    total += os.stat(path).st_size
                except OSError:
                    continue  # decoding records it as that image's failure
        if total > SHIP_LIMIT:
            raise IqabenchError(
                f"{visible.count(False)} of {len(visible)} Ray actors ({where}) cannot read this dataset's files "
                f"at the driver's paths (such as {os.fspath(samples[0].path)}), and the pending files are more "
                f"than {SHIP_LIMIT >> 20} MiB, too many to send through Ray's object store. Put the dataset "
                "on a filesystem every node mounts at the same path (NFS, a cluster filesystem), or copy it "
                "to that path on every node, and run again")
    return True


def item(index: int, sample: Sample, full_reference: bool, ship: bool) -> Item:
    """The :class:`Item` of one sample; with ``ship``, its files' bytes (a file the driver cannot read goes
    by path, so that the actor records the same failure a local run would)."""
    ref = os.fspath(sample.ref_path) if full_reference and sample.ref_path is not None else None
    image = os.fspath(sample.path)
    if not ship:
        return Item(index, image, ref)
    return Item(index, image, ref, _read(image), _read(ref) if ref is not None else None)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError:
        return None


def sees(probe_files: Sequence[Probe]) -> bool:
    """On an actor: whether every probe file is here, at its path, with its sha256."""
    from ..hashing import file_sha256

    try:
        return all(file_sha256(p.path) == p.sha256 for p in probe_files)
    except OSError:
        return False


def samples_of(items: Sequence[Item], folder: Path) -> list[Sample]:
    """On an actor: the task's items as samples to decode; shipped bytes are written to ``folder`` first
    (under the file's own name, so that a message about its format reads as a local run's)."""
    samples = []
    for position, it in enumerate(items):
        image = _written(folder, position, "image", it.image, it.image_bytes)
        ref = _written(folder, position, "ref", it.ref, it.ref_bytes) if it.ref is not None else None
        samples.append(Sample(str(it.index), Path(image), ref_path=Path(ref) if ref is not None else None))
    return samples


def _written(folder: Path, position: int, role: str, path: str, data: bytes | None) -> str:
    if data is None:
        return path
    target = folder / f"{position}-{role}" / os.path.basename(path)
    target.parent.mkdir()
    target.write_bytes(data)
    return os.fspath(target)


def scratch() -> tempfile.TemporaryDirectory:
    """A temporary folder for one task's shipped files, removed when the task is scored."""
    return tempfile.TemporaryDirectory(prefix="iqabench-task-")
