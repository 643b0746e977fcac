"""Route every weight fetch made while a pyiqa metric is built through :mod:`iqabench.weights`.

pyiqa and the libraries under it fetch weights through a few functions, each imported by name into
many modules: pyiqa's ``load_file_from_url``, torch.hub's ``load_state_dict_from_url`` (torchvision
and timm backbones), huggingface_hub's ``hf_hub_download`` (timm, transformers) and the ``_download``
of the CLIP loaders. :func:`routed_fetches` replaces every binding of those functions in the loaded
modules (also inside ``functools.partial``) for the duration of a ``with`` block and restores them
afterwards. Files are resolved by :func:`iqabench.weights.resolve` (Hugging Face files by the Hub's
own cache, downloads off when offline) and recorded as name -> sha256. Not thread-safe: build
metrics from one thread.

Every file resolved here is verified by :mod:`iqabench.pins` (its sha256 against the plugin's pins or the
hash its name carries; iqabench's own downloads; the user's trust) before it is returned, so before pyiqa's
``torch.load`` or ``scipy.io.loadmat`` sees it. Within the block those two are routed as well: a verified
file is read by ``torch.load(weights_only=True)`` (tensors and plain containers, no code), and only a file
known exactly (pinned, downloaded by iqabench, trusted) falls back to the full unpickle pyiqa asks for; a
file that fails to load is a WeightsError that names it and the reason.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import pickle
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from iqabench import pins, weights
from iqabench.errors import WeightsError
from iqabench.hashing import file_sha256

#: Where torch.hub keeps backbone checkpoints, below ``torch.hub.get_dir()``.
TORCH_HUB_SUBDIR = "checkpoints"
PYIQA_SUBDIR = "pyiqa"
CLIP_SUBDIR = "clip"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class Fetches:
    """The weight files one metric construction used (name -> sha256), and the fetches that failed.

    ``pinned`` maps file names to the sha256 (or several) they must have (:data:`catalog.PINNED_SHA256`).
    """

    def __init__(self, offline: bool, pinned: Mapping[str, str | Iterable[str]] | None = None) -> None:
        self.offline = offline
        self.pinned = dict(pinned or {})
        self.files: dict[str, str] = {}
        #: where each of :attr:`files` is.
        self.paths: dict[str, Path] = {}
        #: the files a loader has read so far (torch.load, scipy.io.loadmat), in order.
        self.loaded: list[pins.Verified] = []
        self._verified: dict[str, pins.Verified] = {}
        self._failed: list[tuple[WeightsError, bool]] = []

    def resolve(self, file_name: str, url: str, subdir: str, folder: str | None = None,
                pinned: str | Iterable[str] | None = None) -> Path:
        """Resolve through :func:`iqabench.weights.resolve_verified` (a copy already in ``folder`` wins):
        the file is verified before it is returned. ``pinned`` adds to the pins given at construction."""
        explicit = Path(folder, file_name) if folder and Path(folder, file_name).is_file() else None
        expected = set(pins.pin_set(self.pinned.get(file_name))) | set(pins.pin_set(pinned))
        try:
            verified = weights.resolve_verified(file_name, url=url, subdir=subdir, explicit=explicit,
                                                offline=self.offline, pinned=expected or None)
        except WeightsError as exc:
            self.failed(exc)
            raise
        self.files[file_name] = verified.sha256
        self.paths[file_name] = verified.path
        self._verified[os.path.realpath(verified.path)] = verified
        return verified.path

    def verified_at(self, file) -> pins.Verified | None:
        """The verification of ``file`` when it is a path resolved here, else None."""
        if isinstance(file, (str, os.PathLike)):
            return self._verified.get(os.path.realpath(file))
        return None

    def failed(self, error: WeightsError, required: bool = True) -> WeightsError:
        """Record a failed fetch; ``required=False`` for files a library may go on without."""
        self._failed.append((error, required))
        return error

    def unreadable(self, verified: pins.Verified, exc: BaseException, how: str) -> WeightsError:
        """Record and return the error of a verified file that ``how`` (the loader) could not read."""
        where = f" (from {verified.url})" if verified.url else ""
        message = (
            f"Weight file {str(verified.path)!r} could not be loaded by {how}: {type(exc).__name__}: {exc}\n"
            f"It is damaged, truncated or not in the format {verified.name} should have. Delete it and put a good "
            f"copy there{where}."
        )
        return self.failed(WeightsError(message))

    def raise_if_missing(self, cause: BaseException | None = None) -> None:
        """After construction failed with ``cause``, raise the first failed fetch; after it succeeded,
        the first required one: a library that swallowed it would otherwise score with random weights."""
        for error, required in self._failed:
            if required or cause is not None:
                raise error from cause


def _url_file_name(url: str) -> str:
    return os.path.basename(urlparse(url).path)


def _bind(original: Callable, args: tuple, kwargs: dict) -> dict:
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _route_pyiqa(fetches: Fetches, original: Callable) -> Callable:
    def load_file_from_url(*args, **kwargs):
        call = _bind(original, args, kwargs)
        name = call["file_name"] or _url_file_name(call["url"])
        return str(fetches.resolve(name, call["url"], PYIQA_SUBDIR, call["model_dir"]))

    return load_file_from_url


def _route_torch_hub(fetches: Fetches, original: Callable) -> Callable:
    def load_state_dict_from_url(*args, **kwargs):
        call = _bind(original, args, kwargs)
        name = call["file_name"] or _url_file_name(call["url"])
        path = fetches.resolve(name, call["url"], TORCH_HUB_SUBDIR, call["model_dir"])
        call.update(model_dir=str(path.parent), file_name=path.name)  # present there: torch.hub only loads it
        return original(**call)

    return load_state_dict_from_url


def _route_clip(fetches: Fetches, original: Callable) -> Callable:
    def _download(*args, **kwargs):
        call = _bind(original, args, kwargs)
        url = call["url"]
        name = _url_file_name(url)
        expected = url.rstrip("/").split("/")[-2]  # CLIP's URLs name the file's sha256
        pinned = expected if _SHA256.fullmatch(expected) else None
        return str(fetches.resolve(name, url, CLIP_SUBDIR, call["root"], pinned=pinned))

    return _download


def _route_torch_load(fetches: Fetches, original: Callable) -> Callable:
    def load(f, *args, **kwargs):
        verified = fetches.verified_at(f)
        if verified is None:
            return original(f, *args, **kwargs)
        fetches.loaded.append(verified)
        map_location = args[0] if args else kwargs.get("map_location")
        safe = {k: v for k, v in kwargs.items() if k not in ("map_location", "pickle_module", "weights_only")}
        try:
            return original(f, map_location=map_location, weights_only=True, **safe)
        except pickle.UnpicklingError as exc:
            refused = exc  # weights_only found more than tensors, or the file is damaged
        except Exception as exc:
            raise fetches.unreadable(verified, exc, "torch.load") from exc
        if not verified.exact or kwargs.get("weights_only") is True:
            message = (
                f"Weight file {str(verified.path)!r} could not be loaded safely (torch.load(weights_only=True)): "
                f"{refused}\nIt is damaged, or it holds more than tensors, which only a full unpickle reads, and "
                f"a full unpickle can run code. Its sha256 {verified.sha256} was checked only against the "
                f"{verified.basis}, which does not prove it safe. If you trust the file, allow it with "
                f"{pins.TRUST_WEIGHTS_ENV}={verified.path}."
            )
            raise fetches.failed(WeightsError(message)) from refused
        try:
            return original(f, *args, **kwargs)  # known exactly: as pyiqa asks (weights_only=False)
        except Exception as exc:
            raise fetches.unreadable(verified, exc, "torch.load") from exc

    return load


def _route_loadmat(fetches: Fetches, original: Callable) -> Callable:
    def loadmat(file_name, *args, **kwargs):
        verified = fetches.verified_at(file_name)
        if verified is None:
            return original(file_name, *args, **kwargs)
        fetches.loaded.append(verified)
        try:
            return original(file_name, *args, **kwargs)
        except Exception as exc:
            raise fetches.unreadable(verified, exc, "scipy.io.loadmat") from exc

    return loadmat


def _route_hf(fetches: Fetches, original: Callable) -> Callable:
    def hf_hub_download(*args, **kwargs):
        # Not bound to the signature: the Hub's decorators accept (and drop) arguments it does not list.
        repo_id = args[0] if args else kwargs["repo_id"]
        filename = args[1] if len(args) > 1 else kwargs["filename"]
        name = "/".join(part for part in (repo_id, kwargs.get("subfolder"), filename) if part)
        if fetches.offline:
            kwargs["local_files_only"] = True
        try:
            path = original(*args, **kwargs)
        except Exception as exc:
            # Re-raised as it is: transformers asks for optional files and catches the Hub's own errors.
            from huggingface_hub import constants

            how = "downloads are off (--offline or IQABENCH_OFFLINE=1)" if fetches.offline else f"fetching it failed ({exc})"
            message = (
                f"Hugging Face Hub file {name!r} is missing and {how}.\nRun once with network access, or copy the "
                f"repository {repo_id!r} into the Hub cache {constants.HF_HUB_CACHE} (or set HF_HOME)."
            )
            fetches.failed(WeightsError(message), required=False)
            raise
        fetches.files[name] = file_sha256(path)
        fetches.paths[name] = Path(path)
        return path

    return hf_hub_download


def _originals() -> list[tuple[str, Callable, Callable[[Fetches, Callable], Callable]]]:
    """(attribute name, original function, router) for each fetch function that imports here.

    The defining modules are imported first: pyiqa imports its architectures lazily, while a metric
    is built, and a module imported then binds the routed function from an already routed namespace.
    """
    found: list[tuple[str, Callable, Callable[[Fetches, Callable], Callable]]] = []
    sources = [
        ("pyiqa.utils.download_util", "load_file_from_url", _route_pyiqa),
        ("torch.hub", "load_state_dict_from_url", _route_torch_hub),
        ("huggingface_hub.file_download", "hf_hub_download", _route_hf),
        ("pyiqa.archs.clip_model", "_download", _route_clip),
        ("pyiqa.archs.afineclip_model", "_download", _route_clip),
        ("clip.clip", "_download", _route_clip),
        ("torch.serialization", "load", _route_torch_load),
        ("scipy.io.matlab._mio", "loadmat", _route_loadmat),
    ]
    for module_name, attribute, router in sources:
        try:
            module = importlib.import_module(module_name)
        except Exception:  # an optional library that is absent or broken here: nothing of it can fetch
            continue
        original = vars(module).get(attribute)
        if callable(original):
            found.append((attribute, original, router))
    return found


def _rebind(pairs: list[tuple[str, Callable, Callable]]) -> None:
    """In every loaded module, bind ``new`` wherever ``attribute`` holds ``old`` (directly or in a partial)."""
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for attribute, old, new in pairs:
            value = namespace.get(attribute)
            if value is old:
                namespace[attribute] = new
            elif isinstance(value, functools.partial) and value.func is old:
                namespace[attribute] = functools.partial(new, *value.args, **value.keywords)


@contextmanager
def routed_fetches(fetches: Fetches) -> Iterator[Fetches]:
    """Within the block, every fetch goes through ``fetches``; with ``fetches.offline`` the Hugging Face Hub is offline too.

    Leaving the block rebinds the originals everywhere, also in modules first imported inside it.
    """
    routes = [(attribute, original, router(fetches, original)) for attribute, original, router in _originals()]
    hf_constants = sys.modules.get("huggingface_hub.constants")
    saved_env = os.environ.get("HF_HUB_OFFLINE")
    saved_flag = getattr(hf_constants, "HF_HUB_OFFLINE", None)
    _rebind(routes)
    if fetches.offline:
        os.environ["HF_HUB_OFFLINE"] = "1"
        if hf_constants is not None:
            hf_constants.HF_HUB_OFFLINE = True
    try:
        yield fetches
    finally:
        _rebind([(attribute, routed, original) for attribute, original, routed in routes])
        if fetches.offline:
            if saved_env is None:
                os.environ.pop("HF_HUB_OFFLINE", None)
            else:
                os.environ["HF_HUB_OFFLINE"] = saved_env
            if hf_constants is not None:
                hf_constants.HF_HUB_OFFLINE = saved_flag
