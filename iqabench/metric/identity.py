"""A metric's identity, the key of its stored scores: its configuration and weight files, hashed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

#: the weights hash of a metric that uses no weight file.
NO_WEIGHTS = "none"


@dataclass(frozen=True)
class Identity:
    """What a stored score is keyed by, as :meth:`Metric.identity` computes it (docs/architecture.md, "The
    way data flows").

    Attributes
    ----------
    name : str
        The registered name.
    config : dict
        The declared configuration (:meth:`Metric.config`).
    config_hash : str
        Its hash (:func:`hash_json`).
    weights : dict of str to str or None
        The declared weight files' sha256s by file name; None when known only once the metric loads.
    weights_hash : str or None
        Their hash (:func:`weights_hash`); None when the weight files are known only once the metric
        loads (then the runner loads it before asking the store what is missing).

    Examples
    --------
    >>> from iqabench import Metric
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> Brightness().identity()  # doctest: +NORMALIZE_WHITESPACE
    Identity(name='brightness', config={'name': 'brightness', 'version': '1'}, config_hash='aa1bfb45be0fabe5',
             weights={}, weights_hash='none')
    """

    name: str
    config: dict
    config_hash: str
    weights: dict[str, str] | None
    weights_hash: str | None


def hash_json(value) -> str:
    """sha256 of the canonical JSON of ``value`` (keys sorted, no spaces), first 16 hex digits.

    Parameters
    ----------
    value : JSON-serialisable
        A configuration, a mapping of file names to sha256s.

    Returns
    -------
    str
        16 hexadecimal digits; equal values give equal hashes whatever the order of their keys.

    Examples
    --------
    >>> from iqabench.metric import hash_json
    >>> hash_json({"b": 1, "a": [1, 2]}) == hash_json({"a": [1, 2], "b": 1})
    True
    >>> hash_json({"name": "brightness", "version": "1"})
    'aa1bfb45be0fabe5'
    """
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def weights_hash(files: dict[str, str]) -> str:
    """One hash over {file name: sha256} (:data:`NO_WEIGHTS` for none).

    Parameters
    ----------
    files : dict of str to str
        The sha256 of each weight file, by file name.

    Returns
    -------
    str
        :func:`hash_json` of ``files``, or ``"none"`` when it is empty.

    Examples
    --------
    >>> from iqabench.metric import weights_hash
    >>> weights_hash({})
    'none'
    >>> len(weights_hash({"model.pth": "ab" * 32}))
    16
    """
    return hash_json(files) if files else NO_WEIGHTS
