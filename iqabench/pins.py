"""Which weight files may be loaded: each is checked by the sha256 of its bytes before anything reads it.

A weight file in a pickle-based format (``.pth``, ``.pt``, ``.bin``, ``.ckpt``) runs code when
``torch.load(weights_only=False)`` reads it, and pyiqa reads its checkpoints that way. So a file is handed to
a loader only after :func:`verify` has hashed it (reading no Python object from it) and accepted it on one
of these grounds, tried in this order:

``pinned``
    its sha256 is one that a plugin pins for that file name (a metric's ``pinned_sha256`` mapping, see
    :func:`metric_pins`); another file under that name is refused, with both hashes;
``hash prefix``
    its name follows torch.hub's ``<name>-<hex digits>.<ext>`` convention (at least 8 digits) and its sha256
    begins with those digits; another file is refused. Eight digits are 32 bits: proof against damage and
    mix-ups, not against a forger, so the caller should read such a file with ``weights_only=True`` only
    (:attr:`Verified.exact` is False);
``downloaded``
    iqabench downloaded it itself: :func:`iqabench.weights.resolve` records the sha256 of each download in
    ``.iqabench-downloads.json`` beside it in its download cache (only records there count), and the file
    still has that sha256;
``trusted``
    the user said so: ``IQABENCH_TRUST_WEIGHTS=<path>[,<path>...]`` (files, or folders) or ``=all``, or
    ``settings.overrides(trust_weights=[...])``. This also admits a file that differs from its pin;
``data only``
    an unpinned file in a format whose reader runs no code (``.mat``, ``.safetensors``, …).

Anything else is refused with a :class:`~iqabench.errors.WeightsError` that names the file, the sha256
expected and found, and what to do. Nothing here imports torch.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .errors import WeightsError
from .hashing import file_sha256

TRUST_WEIGHTS_ENV = "IQABENCH_TRUST_WEIGHTS"
#: beside downloaded files: {file name: sha256} of what iqabench downloaded there.
DOWNLOADS_FILE = ".iqabench-downloads.json"
#: formats whose readers build arrays and never run code from the file.
DATA_ONLY_SUFFIXES = frozenset({".mat", ".safetensors", ".json", ".txt", ".csv"})
#: torch.hub's convention: ``resnet50-11ad3fa6.pth`` carries the first hex digits of its sha256.
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9.]+$")
_SHA256 = re.compile(r"[0-9a-f]{64}")

#: the grounds on which a file is known exactly (may be read with a full unpickle when pyiqa asks so).
EXACT = frozenset({"pinned", "downloaded", "trusted"})


@dataclass(frozen=True)
class Verified:
    """A weight file that passed :func:`verify`, with its sha256 and the ground it passed on."""

    path: Path
    name: str
    sha256: str
    basis: str  # "pinned", "hash prefix", "downloaded", "trusted" or "data only"
    url: str | None = None

    @property
    def exact(self) -> bool:
        """True when the content is known exactly (a full sha256 pin, iqabench's own download) or the user
        trusts it: only then may a loader unpickle it beyond tensors (``weights_only=False``)."""
        return self.basis in EXACT


class WeightsRefused(WeightsError):
    """A weight file :func:`verify` refused; ``found`` and ``expected`` hold the sha256s (``expected`` None when
    nothing was pinned)."""

    def __init__(self, message: str, path: Path, found: str, expected: str | None) -> None:
        super().__init__(message)
        self.path, self.found, self.expected = path, found, expected


def pin_set(pinned: str | Iterable[str] | None) -> frozenset[str]:
    """One sha256 or several as a set of lower-case hex strings; raises ValueError on anything else."""
    if pinned is None:
        return frozenset()
    values = [pinned] if isinstance(pinned, str) else list(pinned)
    digests = frozenset(value.strip().lower() for value in values)
    bad = sorted(d for d in digests if not _SHA256.fullmatch(d))
    if bad:
        raise ValueError(f"not sha256 hex digests: {bad}")
    return digests


def metric_pins(metric) -> dict[str, frozenset[str]]:
    """A metric's pins: its optional ``pinned_sha256`` mapping of weight file name (or the keys its
    ``weight_files()`` uses) to one sha256 or several; {} when it declares none."""
    declared: Mapping[str, str | Iterable[str]] = getattr(metric, "pinned_sha256", None) or {}
    return {name: pin_set(value) for name, value in declared.items()}


def hash_prefix(file_name: str) -> str | None:
    """The sha256 prefix a torch.hub-style name carries (``alexnet-owt-7be5be79.pth`` -> ``7be5be79``), or None."""
    match = _HASH_IN_NAME.search(os.path.basename(file_name))
    return match.group(1) if match else None


def is_trusted(path: str | os.PathLike) -> bool:
    """True when the user trusts ``path`` (``IQABENCH_TRUST_WEIGHTS``: the file, a folder above it, or all)."""
    trusted = settings.trusted_weights()
    if trusted == "all":
        return True
    resolved = Path(path).expanduser().resolve()
    return any(resolved == entry or entry in resolved.parents for entry in trusted)


def record_download(path: str | os.PathLike, sha256: str | None = None) -> str:
    """Note in the folder's :data:`DOWNLOADS_FILE` that iqabench downloaded ``path``; returns its sha256."""
    path = Path(path)
    digest = sha256 or file_sha256(path)
    ledger = path.parent / DOWNLOADS_FILE
    entries = _read_downloads(ledger)
    entries[path.name] = digest
    partial = ledger.with_name(f"{ledger.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    partial.replace(ledger)
    return digest


def downloaded_sha256(path: str | os.PathLike) -> str | None:
    """The sha256 iqabench recorded when it downloaded ``path``, or None. Only records in iqabench's
    download cache (torch's hub folder) count: one beside a file elsewhere (in ``$IQABENCH_WEIGHTS_DIR``,
    say) could have been written by whoever put the file there."""
    path = Path(path)
    cache = settings.torch_hub_dir().expanduser().resolve()
    folder = path.parent.resolve()
    if folder != cache and cache not in folder.parents:
        return None
    return _read_downloads(path.parent / DOWNLOADS_FILE).get(path.name)


def _read_downloads(ledger: Path) -> dict[str, str]:
    try:
        entries = json.loads(ledger.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in entries.items()} if isinstance(entries, dict) else {}


def verify(
    path: str | os.PathLike,
    *,
    name: str | None = None,
    pinned: str | Iterable[str] | None = None,
    url: str | None = None,
) -> Verified:
    """Accept ``path`` (asked for as ``name``) on one of the grounds of this module, or raise WeightsError.

    ``pinned`` is the sha256 (or several) the file must have; ``url`` where the good file comes from, for
    the message. Reads the file's bytes to hash them and nothing else.
    """
    path = Path(path)
    name = name or path.name
    expected = pin_set(pinned)
    found = file_sha256(path)

    def accepted(basis: str) -> Verified:
        return Verified(path, name, found, basis, url)

    if expected:
        if found in expected:
            return accepted("pinned")
        if is_trusted(path):
            return accepted("trusted")
        wanted = next(iter(expected)) if len(expected) == 1 else "one of " + ", ".join(sorted(expected))
        raise _refusal(path, f"its sha256 is {found}, but {name} is pinned to sha256 {wanted}.",
                       _replace_hint(url), found=found, expected=wanted)
    prefix = hash_prefix(name) or hash_prefix(path.name)
    if prefix:
        if found.startswith(prefix):
            return accepted("hash prefix")
        if is_trusted(path):
            return accepted("trusted")
        raise _refusal(path, f"its name says its sha256 begins with {prefix}, but its sha256 is {found}.",
                       _replace_hint(url), found=found, expected=f"{prefix}…")
    if downloaded_sha256(path) == found:
        return accepted("downloaded")
    if is_trusted(path):
        return accepted("trusted")
    if path.suffix.lower() in DATA_ONLY_SUFFIXES:
        return accepted("data only")
    problem = (f"{name} is not pinned, its name carries no hash and iqabench did not download it, so nothing "
               f"tells where it came from (its sha256 is {found}).")
    fix = f"Delete it to let iqabench download it from {url}." if url else ""
    raise _refusal(path, problem, fix, found=found, expected=None)


def verify_declared(metric, urls: Mapping[str, str] | None = None) -> dict[str, Verified]:
    """Verify each file a metric's ``weight_files()`` declares against its ``pinned_sha256`` (looked up by
    the declared key, then by the file's name), before :meth:`~iqabench.metric.Metric.load` reads any; a
    plugin's ``load`` or ``availability`` (or the runner) can call it. ``urls``: where each key's file comes from."""
    files = metric.weight_files() or {}
    pinned = metric_pins(metric)
    urls = urls or {}
    return {key: verify(path, name=key, pinned=pinned.get(key) or pinned.get(Path(path).name), url=urls.get(key))
            for key, path in files.items()}


def _replace_hint(url: str | None) -> str:
    return ("It is damaged, another version, or not the file it is named after. Delete it and put the known "
            f"file there{f' (download it from {url})' if url else ''}.")


def _refusal(path: Path, problem: str, fix: str, *, found: str, expected: str | None) -> WeightsRefused:
    lines = [
        f"Weight file {str(path)!r} was refused before it was loaded: {problem}",
        "Loading a weight file can run code, so iqabench loads only files it can verify. " + fix,
        f"If you made this file or trust where it came from, allow it with {TRUST_WEIGHTS_ENV}={path} "
        "(several paths separated by commas, or =all).",
    ]
    return WeightsRefused("\n".join(line.rstrip() for line in lines), path, found, expected)


__all__ = [
    "DATA_ONLY_SUFFIXES", "DOWNLOADS_FILE", "TRUST_WEIGHTS_ENV", "Verified", "WeightsRefused", "downloaded_sha256",
    "hash_prefix", "is_trusted", "metric_pins", "pin_set", "record_download", "verify", "verify_declared",
]
