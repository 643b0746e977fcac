"""The base class every metric implements, and the check of each score a metric returns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, Sequence

from ..hashing import file_sha256
from .availability import Availability
from .identity import Identity, hash_json, weights_hash

if TYPE_CHECKING:
    import torch

Kind = Literal["NR", "FR"]


class Metric:
    """Base class of every metric: the contract a metric plugin implements.

    Subclasses set the class attributes and implement :meth:`score_batch`. Images arrive as
    float32 tensors of shape (C, H, W) with values in [0, 1], C = 3 (RGB) or 1 (grey) as the
    metric's ``channels`` asks; ``refs`` holds the reference images of a full-reference metric.

    A metric is built cheaply (``iqabench list`` builds every one), declares its identity without loading
    anything (:meth:`identity`), reports whether it can run here without loading or downloading
    (:meth:`availability`), loads its weights in :meth:`load`, and scores batches with :meth:`score_batch`.
    Register instances from a plugin's ``register_metrics`` hook (:mod:`iqabench.hookspecs`).

    Attributes
    ----------
    name : str
        The registered name, unique among the installed plugins.
    kind : {"NR", "FR"}
        No-reference, or full-reference (it receives ``refs``).
    lower_better : bool
        The direction of the scores: True when a lower score is a better image.
    score_range : tuple of (float or None)
        The scores' range, where known.
    description : str
        One line for listings.
    min_size : int
        The smallest image side, in pixels, it accepts; smaller images are per-image failures.
    batch_size : int
        Images per batch when the user does not pass ``--batch-size``.
    channels : {3, 1}
        3 for RGB input, 1 for grey.
    version : str
        Bump it when the scores change, so that stored scores are recomputed.
    weights : dict of str to str
        Set by :meth:`load`: the sha256 of each weight file it used, by name; empty for weight-free metrics.

    Examples
    --------
    >>> from iqabench import Metric
    >>> class Brightness(Metric):
    ...     name = "brightness"
    ...     def score_batch(self, images, refs=None):
    ...         return [float(image.mean()) for image in images]
    >>> metric = Brightness()
    >>> metric
    <Metric brightness NR higher-is-better>
    >>> import torch
    >>> metric.score_batch([torch.full((3, 8, 8), 0.25), torch.ones(3, 4, 6)])
    [0.25, 1.0]
    """

    name: ClassVar[str] = ""
    kind: ClassVar[Kind] = "NR"
    #: the direction of the scores; datasets declare the direction of their labels the same way.
    lower_better: ClassVar[bool] = False
    score_range: ClassVar[tuple[float | None, float | None]] = (None, None)
    description: ClassVar[str] = ""
    #: smallest image side, in pixels, the metric accepts; smaller images are per-image failures.
    min_size: ClassVar[int] = 1
    #: images per batch when the user does not pass --batch-size.
    batch_size: ClassVar[int] = 8
    #: 3 for RGB input, 1 for grey.
    channels: ClassVar[int] = 3
    #: bump when the scores a metric computes change, so stored scores are recomputed.
    version: ClassVar[str] = "1"

    def __init__(self) -> None:
        #: weight file name -> sha256 of the files :meth:`load` used; empty for weight-free metrics.
        self.weights: dict[str, str] = {}

    # -- identity -------------------------------------------------------------------------
    def config(self) -> dict:
        """Everything that changes the scores, as JSON-serialisable values.

        The name, the version and every parameter. Subclasses with parameters extend it
        (``{**super().config(), "scale": 2}``); where the class lives is not part of it, so moving a class
        keeps its stored scores.

        Returns
        -------
        dict
            The configuration; its hash (:meth:`config_hash`) keys the stored scores.

        Examples
        --------
        >>> from iqabench import Metric
        >>> class Brightness(Metric):
        ...     name = "brightness"
        ...     def score_batch(self, images, refs=None):
        ...         return [float(image.mean()) for image in images]
        >>> class Scaled(Brightness):
        ...     name = "scaled-brightness"
        ...     def __init__(self, scale=2.0):
        ...         super().__init__()
        ...         self.scale = scale
        ...     def config(self):
        ...         return {**super().config(), "scale": self.scale}
        >>> Scaled().config()
        {'name': 'scaled-brightness', 'version': '1', 'scale': 2.0}
        >>> Scaled(2.0).config_hash() == Scaled(3.0).config_hash()
        False
        """
        return {"name": self.name, "version": self.version}

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of :meth:`config`, first 16 hex digits (:func:`hash_json`).

        Returns
        -------
        str

        Examples
        --------
        >>> from iqabench import Metric
        >>> class Brightness(Metric):
        ...     name = "brightness"
        ...     def score_batch(self, images, refs=None):
        ...         return [float(image.mean()) for image in images]
        >>> Brightness().config_hash()
        'aa1bfb45be0fabe5'
        """
        return hash_json(self.config())

    def weight_files(self) -> dict[str, Path] | None:
        """The weight files :meth:`load` will read, found without loading (through :mod:`iqabench.weights`).

        Returns
        -------
        dict of str to pathlib.Path or None
            The files by name: {} for a weight-free metric (the default), None when they are known only
            once it loads (or one is still to be downloaded).

        Examples
        --------
        >>> from iqabench import Metric
        >>> class Brightness(Metric):
        ...     name = "brightness"
        ...     def score_batch(self, images, refs=None):
        ...         return [float(image.mean()) for image in images]
        >>> Brightness().weight_files()
        {}
        """
        return {}

    def identity(self) -> Identity:
        """The key of this metric's stored scores, computed without loading the model.

        Hashes the files of :meth:`weight_files` (sha256, cached by size and modification time).

        Returns
        -------
        Identity

        Examples
        --------
        >>> from iqabench import Metric
        >>> class Brightness(Metric):
        ...     name = "brightness"
        ...     def score_batch(self, images, refs=None):
        ...         return [float(image.mean()) for image in images]
        >>> identity = Brightness().identity()
        >>> identity.config_hash, identity.weights_hash
        ('aa1bfb45be0fabe5', 'none')
        """
        files = self.weight_files()
        declared = None if files is None else {name: file_sha256(path) for name, path in files.items()}
        return Identity(self.name, self.config(), self.config_hash(), declared,
                        None if declared is None else weights_hash(declared))

    # -- life cycle -----------------------------------------------------------------------
    def availability(self) -> Availability:
        """Whether :meth:`load` can succeed here: a cheap check that loads nothing large and downloads nothing.

        With the files that are here it is ``present``; after downloading them, ``download``; otherwise
        ``unavailable``, with the reason. The default is present (a weight-free metric).

        Returns
        -------
        Availability

        Examples
        --------
        >>> from iqabench import Availability, Metric
        >>> class NeedsCuda(Metric):
        ...     name = "needs-cuda"
        ...     def availability(self):
        ...         return Availability.unavailable("needs a CUDA device; none is visible")
        >>> NeedsCuda().availability().state
        'unavailable'
        """
        return Availability.present()

    def load(self, device: "torch.device") -> None:
        """Load the weights and move to ``device``; the default loads nothing.

        The runner calls it once, before the first batch. A metric with weight files records their sha256s
        in :attr:`weights`.

        Parameters
        ----------
        device : torch.device
            Where to score.

        Raises
        ------
        iqabench.errors.WeightsError
            When a weight file is absent or cannot be fetched.

        Examples
        --------
        >>> import torch
        >>> from iqabench import Metric
        >>> Metric().load(torch.device("cpu"))  # a weight-free metric loads nothing
        """

    def score_batch(
        self, images: Sequence["torch.Tensor"], refs: Sequence["torch.Tensor"] | None = None
    ) -> Sequence[float]:
        """Score a batch: one float per image, in order.

        Raise to fail the batch; the runner then retries image by image, and records a failure for each
        image that still raises. A NaN or infinite score is a failure too, never a score.

        Parameters
        ----------
        images : sequence of torch.Tensor
            Float32 tensors (C, H, W) with values in [0, 1], C as :attr:`channels` asks; sizes may differ.
        refs : sequence of torch.Tensor, optional
            The reference image of each image, for a full-reference metric; None otherwise.

        Returns
        -------
        sequence of float
            One score per image.

        Raises
        ------
        NotImplementedError
            In the base class: every metric implements it.

        Examples
        --------
        >>> from iqabench import Metric
        >>> class Brightness(Metric):
        ...     name = "brightness"
        ...     def score_batch(self, images, refs=None):
        ...         return [float(image.mean()) for image in images]
        >>> import torch
        >>> Brightness().score_batch([torch.full((3, 8, 8), 0.25), torch.ones(3, 4, 6)])
        [0.25, 1.0]
        """
        raise NotImplementedError(f"metric {self.name!r} does not implement score_batch")

    def __repr__(self) -> str:
        return f"<Metric {self.name} {self.kind} {'lower' if self.lower_better else 'higher'}-is-better>"


def check_score(value: float) -> float:
    """``value`` as a float, checked: a NaN or infinite score is a failure, never a score.

    Parameters
    ----------
    value : float
        A score a metric returned.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        When ``value`` is NaN or infinite.

    Examples
    --------
    >>> from iqabench.metric import check_score
    >>> check_score(1)
    1.0
    >>> check_score(float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: metric returned a non-finite score (nan)
    """
    score = float(value)
    if not math.isfinite(score):
        raise ValueError(f"metric returned a non-finite score ({score})")
    return score
