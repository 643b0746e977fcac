"""The content hashes of a run's samples (one store lookup per 500 files), and why a file could not be read."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..dataset import Dataset, Sample
from ..store import UNREADABLE, UNREADABLE_REFERENCE, NotAFile, SampleHashes, ScoreStore, pair_hash


def hash_samples(store: ScoreStore, dataset: Dataset, samples: Sequence[Sample]) -> dict[str, SampleHashes]:
    """Content hashes of ``samples`` (and of each with its reference), by sample id.

    A sample refused when the dataset was opened (:attr:`Dataset.refused`) gets its reason instead. A
    file that cannot be read now (deleted since the dataset was listed, permission denied, an I/O
    error, replaced by a FIFO or a folder) gives its sample the hash ``UNREADABLE`` (its reference:
    ``UNREADABLE_REFERENCE``) and the reason, which :func:`~iqabench.runner.run_metric` records as its failure."""
    known = dataset.file_stats
    refused = {refusal.sample.id: refusal for refusal in getattr(dataset, "refused", ())}
    pairs = [(s.id, os.fspath(s.path), os.fspath(s.ref_path) if s.ref_path is not None else None) for s in samples]
    # a refused file is never opened, not even to hash it; a sample refused for its reference alone
    # keeps its image, which a no-reference metric may score
    names = {name for sid, image, ref in pairs if sid not in refused or refused[sid].reference
             for name in (image, ref if sid not in refused else None) if name is not None}
    failures: dict[str, OSError] = {}
    digests = store.content_hashes({name: known.get(name) for name in names}, failures)
    hashes = {}
    for sid, image, ref in pairs:
        refusal = refused.get(sid)
        if refusal is not None and not refusal.reference:
            hashes[sid] = SampleHashes(UNREADABLE, UNREADABLE if ref is not None else None, error=refusal.reason)
        elif image in failures:
            hashes[sid] = SampleHashes(UNREADABLE, UNREADABLE if ref is not None else None,
                                       error=unreadable_reason(failures[image]))
        elif refusal is not None:
            hashes[sid] = SampleHashes(digests[image], UNREADABLE_REFERENCE, ref_error=refusal.reason)
        elif ref is not None and ref in failures:
            hashes[sid] = SampleHashes(digests[image], UNREADABLE_REFERENCE,
                                       ref_error="its reference image: " + unreadable_reason(failures[ref]))
        else:
            hashes[sid] = SampleHashes(digests[image], pair_hash(digests[image], digests[ref]) if ref is not None else None)
    return hashes


def unreadable_reason(exc: OSError) -> str:
    """Why a listed file could not be read when the run hashed it, and what to do."""
    if isinstance(exc, PermissionError):
        return "permission denied: the file exists but this user cannot read it; check its permissions"
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return ("deleted while the run was starting: the file was listed, then removed (or a folder on its path "
                "replaced); restore it, or run again to count it as missing")
    if isinstance(exc, NotAFile):
        return f"not an image file: {exc.kind} replaced the file after it was listed; put the image back"
    if isinstance(exc, IsADirectoryError):
        return "not an image file: a directory replaced the file after it was listed; put the image back"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return (f"cannot read the file: {reason} (errno {exc.errno}); the disk or network share may be failing, "
            "copy the file again or check the disk")
