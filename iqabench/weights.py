"""One place that finds weight files.

Order: an explicit path > ``$IQABENCH_WEIGHTS_DIR`` (``<dir>/<subdir>/<file>``, then ``<dir>/<file>``) >
the usual cache for the subdir (torch's hub folder, ``~/.cache/torch/hub/<subdir>``, honouring
``$TORCH_HOME``) > a download into that cache. Downloads are off with ``--offline``,
``IQABENCH_OFFLINE=1`` (see :mod:`iqabench.settings`) or ``offline=True``; a missing file then raises a
:class:`~iqabench.errors.WeightsError` that names the file, its URL and the folders to put it in.
Finding a file never imports torch; only a download does.

:func:`resolve_verified` also checks the file's sha256 before anything loads it (:mod:`iqabench.pins`:
a plugin's pins, torch.hub's hash-in-name convention, iqabench's own downloads, the user's trust), and
every download is recorded beside the file for that check.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from . import pins, settings
from .errors import WeightsError

WEIGHTS_DIR_ENV = settings.WEIGHTS_DIR_ENV


def is_offline(offline: bool | None = None) -> bool:
    """True when downloads are off: ``offline=True`` or the settings say so.

    ``offline=False`` cannot switch downloads back on against the user's setting.
    """
    return bool(offline) or settings.offline()


def weights_dir() -> Path | None:
    """The user's weights folder from ``$IQABENCH_WEIGHTS_DIR``, or None when unset."""
    return settings.weights_dir()


def cache_dir(subdir: str | None = None) -> Path:
    """The download cache for ``subdir``: torch's hub folder (``$TORCH_HOME/hub``) / ``subdir``."""
    root = settings.torch_hub_dir()
    return root / subdir if subdir else root


def _candidates(file_name: str, subdir: str | None) -> list[Path]:
    paths = []
    user_dir = weights_dir()
    if user_dir is not None:
        if subdir:
            paths.append(user_dir / subdir / file_name)
        paths.append(user_dir / file_name)
    paths.append(cache_dir(subdir) / file_name)
    return paths


def find(file_name: str, subdir: str | None = None) -> Path | None:
    """The first existing copy of ``file_name`` in ``$IQABENCH_WEIGHTS_DIR`` or the cache; never downloads."""
    for path in _candidates(file_name, subdir):
        if path.is_file():
            return path
    return None


def resolve(
    file_name: str,
    *,
    url: str | None = None,
    subdir: str | None = None,
    explicit: str | os.PathLike | None = None,
    offline: bool | None = None,
) -> Path:
    """Path of the weight file ``file_name``, downloading ``url`` into the cache when allowed.

    ``explicit`` (a path the user gave) wins and must exist. Raises :class:`WeightsError` when the
    file is nowhere and cannot be downloaded.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise WeightsError(f"Weight file {str(path)!r} (given explicitly for {file_name!r}) does not exist.")
        return path
    found = find(file_name, subdir)
    if found is not None:
        return found
    if is_offline(offline):
        raise WeightsError(missing_message(file_name, url, subdir, "downloads are off (--offline or IQABENCH_OFFLINE=1)"))
    if url is None:
        raise WeightsError(missing_message(file_name, url, subdir, "no download URL is known for it"))
    target = cache_dir(subdir) / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        import torch.hub

        torch.hub.download_url_to_file(url, str(target), progress=True)
    except Exception as exc:
        reason = f"downloading it failed ({type(exc).__name__}: {exc})"
        raise WeightsError(missing_message(file_name, url, subdir, reason)) from exc
    pins.record_download(target)
    return target


def resolve_verified(
    file_name: str,
    *,
    url: str | None = None,
    subdir: str | None = None,
    explicit: str | os.PathLike | None = None,
    offline: bool | None = None,
    pinned: str | Iterable[str] | None = None,
) -> pins.Verified:
    """:func:`resolve`, then :func:`iqabench.pins.verify`: the file, its sha256 and why it may be loaded.

    ``pinned`` is the sha256 (or several) the plugin knows for ``file_name``. Raises WeightsError when the
    file is missing, or is refused before anything reads it (the message names both hashes and the way
    to trust a file of one's own: ``IQABENCH_TRUST_WEIGHTS``).
    """
    path = resolve(file_name, url=url, subdir=subdir, explicit=explicit, offline=offline)
    return pins.verify(path, name=file_name, pinned=pinned, url=url)


def missing_message(file_name: str, url: str | None, subdir: str | None, reason: str) -> str:
    """What to tell a user whose weight file is missing: the file, its URL and the folders to put it in."""
    user_dir = weights_dir()
    folders = [f"  {cache_dir(subdir)}  (the download cache)"]
    if user_dir is not None:
        folders[:0] = [f"  {folder}  (${WEIGHTS_DIR_ENV})" for folder in ([user_dir / subdir] if subdir else []) + [user_dir]]
    lines = [
        f"Weight file {file_name!r} is missing and {reason}.",
        f"{f'Download it from {url}' if url else 'Get it'} and put it in one of:",
        *folders,
    ]
    if user_dir is None:
        layout = f"<dir>/{subdir}/{file_name} or <dir>/{file_name}" if subdir else f"<dir>/{file_name}"
        lines.append(f"or set {WEIGHTS_DIR_ENV} to a folder of weight files ({layout}).")
    return "\n".join(lines)


__all__ = ["cache_dir", "find", "is_offline", "missing_message", "resolve", "resolve_verified", "weights_dir"]
