"""The score store: every per-image score (or failure) in one SQLite file, in WAL mode.

A score is keyed by (metric, config hash, weights hash, dataset, sample id, content hash), as
docs/architecture.md says: change any of them and the score is recomputed; change none and a rerun computes
nothing. Each batch is committed in its own transaction, so a process killed with SIGKILL loses
at most the batch it was scoring, and the primary key keeps two processes writing one store from
creating duplicates.

Labels live in *label sets*: the samples of a dataset as a run found them (id, MOS, std, group,
split, and the content hash of the image, and of the image with its reference), keyed by
(dataset, labels id), where the labels id hashes the labels themselves. Two label files of one
dataset are two label sets; statistics read one of them and count only the scores whose content
hash is the one the label set recorded, so the score of an image that has since changed is never used.

The schema carries a version (``meta.schema_version``); an older store is migrated in place when
opened (nothing is deleted), a newer one is refused with a message.

Faults of the file itself never escape as SQLite tracebacks: a damaged or non-database file, a
location that cannot be written, a full disk, a lock held too long each raise :class:`StoreError`
naming the file and what to do. A store opened with ``readonly=True`` (``export``, ``stats``) never
writes: it refuses a write with a :class:`StoreError`, leaves no ``-wal``/``-shm`` file behind, and
reads a store on read-only media (where WAL's shared-memory file cannot be created) as immutable.

Runs record their process (pid, host and the process's start time), so the next run on the host
marks a run whose process is gone (SIGKILL, out of memory) ``interrupted``. Concurrent runs of one
metric on one dataset split the work through *claims*: a run claims the samples it is about to
decode (:meth:`ScoreStore.claim`, one transaction), another run skips them, and a claim ends when
its scores are written, when its run ends, when its process is found gone, or after
:data:`~iqabench.store.claims.CLAIM_SECONDS` without news. Each run counts only the rows it wrote.

Each part lives in a module of its own: :mod:`.schema` (tables, migrations), :mod:`.errors` (SQLite's
errors as :class:`StoreError`), :mod:`.connection` (opening the file, transactions), :mod:`.file_hashes`,
:mod:`.runs` and :mod:`.processes`, :mod:`.claims`, :mod:`.rows` and :mod:`.scores`, :mod:`.labels`,
:mod:`.export`; :class:`ScoreStore` (:mod:`.score_store`) puts them together.
"""

from .claims import CLAIM_SECONDS, Claimed
from .errors import StoreError
from .file_hashes import NotAFile
from .labels import UNREADABLE, UNREADABLE_REFERENCE, LabelSet, SampleHashes, pair_hash
from .rows import ScoreKey, StoredScore
from .schema import SCHEMA_VERSION, now
from .score_store import ScoreStore

__all__ = ["CLAIM_SECONDS", "SCHEMA_VERSION", "UNREADABLE", "UNREADABLE_REFERENCE", "Claimed", "LabelSet", "NotAFile",
           "SampleHashes", "ScoreKey", "ScoreStore", "StoreError", "StoredScore", "now", "pair_hash"]
