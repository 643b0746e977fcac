"""Face masks for effres: which pixels are face foreground (face and hair, without neck, clothes and
background), behind one interface so that each score can record the mask that made it.

``masker(name, **options)`` builds a :class:`FaceMasker`; ``masker.mask(image)`` takes an RGB uint8
H×W×3 array and returns a bool H×W array, True on the foreground. ``masker.name`` is what a score records
(it carries the options that differ from the defaults, e.g. ``"mediapipe(head_width=2.0)"``).

Input: RGB uint8. A greyscale image (H×W or H×W×1) is converted to RGB first by repeating its channel;
RGBA drops alpha. Other dtypes or shapes raise ``ValueError``.

Masks (:data:`MASKS`):

``"none"``
    Everything is foreground.
``"mediapipe"`` (the default; offline, models shipped in ``face_models/``)
    MediaPipe's BlazeFace detector (short range, then full range when it finds nothing), its 468-point
    face mesh and its selfie (person) segmentation, run with LiteRT; see :mod:`.mediapipe_face`. The
    largest detected face is kept. Foreground = the face-oval polygon (FACEMESH_FACE_OVAL) ∪ (person
    mask ∩ the part of the image above the chin, along the face's own up direction, within
    ``head_width`` (1.6) × the oval's width around its centre). It stands in for BiSeNet's face + hair
    parsing: it drops background, clothes and most of the neck, but also hair below the chin, and keeps
    hats, hands and whatever else the person segmentation joins to the head above the chin. Against 10
    hand-drawn references (tests/data/effres_mask_reference.json: 4 aligned, 6 wild) its IoU is
    0.76-0.93, mean 0.88; ``cut="jaw"`` (0.90 there) trades neck and collar for hair beside the jaw.
    **No face found → an all-False mask**: the caller decides what that means (effres then has no
    foreground patch). Takes ~0.05-0.1 s per 1024 × 1024 image on one CPU thread.
``"bisenet"``
    facexlib's BiSeNet parser (``parsing_bisenet.pth``, found through :func:`iqabench.weights.resolve`;
    never shipped). The image is resized to 512 × 512, parsed, and the label map resized back (nearest);
    foreground = every class but background, neck, neck_l, cloth and hat (:data:`.bisenet.BACKGROUND`;
    facexlib's model has no "invalid" class). It parses the whole image as one face crop, as facexlib
    does on aligned faces; it is meant for aligned face images.

Models load lazily, once per masker, on the first ``mask`` call; masks are deterministic.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

MASKS = ("mediapipe", "bisenet", "none")
DEFAULT_MASK = "mediapipe"
#: where the mediapipe mask's head region ends below -> face-mesh landmarks whose highest level (along the
#: face's up direction) is the cut; "chin" is the lowest face-oval point itself.
CUTS = {"chin": (152,), "jaw": (150, 379)}


def as_rgb(image: np.ndarray) -> np.ndarray:
    """``image`` as a contiguous RGB uint8 H×W×3 array: greyscale (H×W, H×W×1) repeats its channel, RGBA
    drops alpha. Raises ``ValueError`` for other dtypes and shapes."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"face masks take uint8 images, not {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"face masks take H×W×3 RGB images (or greyscale), not shape {image.shape}")
    return np.ascontiguousarray(image)


class FaceMasker:
    """The interface: ``name`` (recorded with each score) and ``mask(image) -> bool H×W``."""

    name: str = ""

    def mask(self, image: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return self.mask(image)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


def _name(base: str, options: dict, defaults: dict) -> str:
    changed = {key: value for key, value in options.items() if value != defaults[key]}
    if not changed:
        return base
    return f"{base}({', '.join(f'{key}={value!r}' for key, value in sorted(changed.items()))})"


class NoMask(FaceMasker):
    """Every pixel is foreground."""

    name = "none"

    def mask(self, image: np.ndarray) -> np.ndarray:
        image = as_rgb(image)
        return np.ones(image.shape[:2], dtype=bool)


def polygon_mask(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bool H×W raster of a polygon given as (N, 2) (x, y) points in continuous pixel coordinates (pixel
    (i, j) covers [j, j+1) × [i, i+1)): a pixel is inside when its centre is (even-odd rule, edges
    half-open). Exact, vectorised over rows; the polygon may reach far outside the image."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    out = np.zeros((height, width), dtype=bool)
    if len(points) < 3 or height == 0 or width == 0:
        return out
    x0, y0 = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    rows = np.arange(height, dtype=np.float64)[:, None] + 0.5
    crosses = (np.minimum(y0, y1) <= rows) & (rows < np.maximum(y0, y1))
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(crosses, x0 + (rows - y0) * (x1 - x0) / (y1 - y0), np.inf)
    xs.sort(axis=1)
    pairs = 2 * (xs.shape[1] // 2)  # each row crosses an even number of edges; inf pads the rest
    starts, ends = xs[:, 0:pairs:2], xs[:, 1:pairs:2]
    valid = np.isfinite(starts) & np.isfinite(ends)
    # pixel j is inside a run [a, b) when a <= j + 0.5 < b
    first = np.clip(np.ceil(starts - 0.5), 0, width).astype(np.int64)
    last = np.clip(np.ceil(ends - 0.5), 0, width).astype(np.int64)
    # sorted crossings pair up into disjoint runs; a few per row at most
    for row, run in zip(*np.nonzero(valid & (last > first))):
        out[row, first[row, run] : last[row, run]] = True
    return out


class MediapipeMasker(FaceMasker):
    """Face oval ∪ (person ∩ head region above the chin); see the module's docstring.

    Options: ``detector`` ("auto": short range, then full range when it finds nothing; or "short_range",
    "full_range"), ``head_width`` (the head region's width / the face oval's width), ``cut`` (where the
    head region ends below: "chin", the lowest face-oval point, or "jaw", the level of the lower jaw
    landmarks 150/379, which drops more neck and collar but also more hair hanging beside the jaw),
    ``person_threshold`` (on the segmentation probability), ``min_presence`` (face-mesh presence
    probability below which the face counts as absent), ``refine`` (run the mesh a second time on the
    ROI its own landmarks give, as MediaPipe does from the second video frame on). ``model_dir`` points
    at other copies of the four ``.tflite`` files.
    """

    DEFAULTS: ClassVar[dict] = {
        "detector": "auto",
        "head_width": 1.6,
        "cut": "chin",
        "person_threshold": 0.5,
        "min_presence": 0.5,
        "refine": True,
    }

    def __init__(self, model_dir: str | Path | None = None, **options) -> None:
        unknown = set(options) - set(self.DEFAULTS)
        if unknown:
            raise TypeError(f"unknown option(s) for the mediapipe mask: {', '.join(sorted(unknown))}")
        self.options = {**self.DEFAULTS, **options}
        if self.options["detector"] not in ("auto", "short_range", "full_range"):
            raise ValueError(
                f"detector must be 'auto', 'short_range' or 'full_range', not {self.options['detector']!r}"
            )
        if self.options["cut"] not in CUTS:
            raise ValueError(f"cut must be one of {', '.join(map(repr, CUTS))}, not {self.options['cut']!r}")
        self.name = _name("mediapipe", self.options, self.DEFAULTS)
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self._models = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._models is None:
                from . import mediapipe_face as mf

                directory = self.model_dir or mf.MODEL_DIR
                kind = self.options["detector"]
                kinds = ["short_range", "full_range"] if kind == "auto" else [kind]
                detectors = [mf.FaceDetector(k, directory) for k in kinds]
                self._models = (mf, detectors, mf.FaceMesh(directory), mf.SelfieSegmenter(directory))
        return self._models

    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        """The 468 face-mesh points (x, y) in image pixels of the largest face, or None without a face."""
        mf, detectors, mesh, _ = self._load()
        image = as_rgb(image)
        faces = []
        for detector in detectors:
            faces = detector.detect(image)
            if faces:
                break
        if not faces:
            return None
        face = max(faces, key=lambda f: (f.area, f.score))
        points, presence = mesh.landmarks(image, mf.roi_from_detection(face))
        if self.options["refine"] and presence >= self.options["min_presence"]:
            points, presence = mesh.landmarks(image, mf.roi_from_landmarks(points))
        if presence < self.options["min_presence"]:
            return None
        return points

    def person(self, image: np.ndarray) -> np.ndarray:
        """The person segmentation's probability per pixel (float32 H×W)."""
        _, _, _, segmenter = self._load()
        return segmenter.probability(as_rgb(image))

    def head_region(self, points: np.ndarray, height: int, width: int) -> np.ndarray:
        """Bool H×W: above the cut (the chin by default) along the face's up direction (chin → forehead
        landmark) and within ``head_width`` × the oval's width around the oval's centre, in the face's
        own frame (so a tilted head gets a tilted region)."""
        mf = self._load()[0]
        oval = points[list(mf.FACE_OVAL)]
        chin, top = points[mf.CHIN], points[mf.FOREHEAD]
        up = top - chin
        norm = float(np.hypot(*up))
        if norm < 1e-6:
            return np.zeros((height, width), dtype=bool)
        up = up / norm
        side = np.array([-up[1], up[0]])
        chin = chin + up * max(float((points[i] - chin) @ up) for i in CUTS[self.options["cut"]])
        across = (oval - chin) @ side
        centre = (across.min() + across.max()) / 2
        half = self.options["head_width"] * (across.max() - across.min()) / 2
        reach = 4.0 * (height + width)  # far enough up to leave the image
        corners = np.array([
            chin + side * (centre - half),
            chin + side * (centre + half),
            chin + side * (centre + half) + up * reach,
            chin + side * (centre - half) + up * reach,
        ])
        return polygon_mask(corners, height, width)

    def mask(self, image: np.ndarray) -> np.ndarray:
        image = as_rgb(image)
        height, width = image.shape[:2]
        points = self.landmarks(image)
        if points is None:
            return np.zeros((height, width), dtype=bool)
        mf = self._load()[0]
        oval = polygon_mask(points[list(mf.FACE_OVAL)], height, width)
        person = self.person(image) >= self.options["person_threshold"]
        return oval | (person & self.head_region(points, height, width))


class BisenetMasker(FaceMasker):
    """facexlib's BiSeNet parsing; foreground = all classes but :data:`.bisenet.BACKGROUND`.

    ``weights`` is an explicit path to ``parsing_bisenet.pth``; without it the file is looked up by
    :func:`iqabench.weights.resolve` (``$IQABENCH_WEIGHTS_DIR[/facexlib]``, torch's hub cache under
    ``facexlib/``, or a download unless offline). ``device`` is a torch device name.
    """

    name = "bisenet"

    def __init__(
        self, weights: str | Path | None = None, device: str = "cpu", offline: bool | None = None
    ) -> None:
        self.weights = weights
        self.device = device
        self.offline = offline
        self._model = None
        self._lock = threading.Lock()

    def weights_path(self) -> Path:
        from iqabench import weights

        from . import bisenet

        return weights.resolve(
            bisenet.WEIGHTS_FILE, url=bisenet.WEIGHTS_URL, subdir=bisenet.WEIGHTS_SUBDIR,
            explicit=self.weights, offline=self.offline,
        )

    def _load(self):
        with self._lock:
            if self._model is None:
                from . import bisenet

                self._model = bisenet.load(self.weights_path()).to(self.device)
        return self._model

    def labels(self, image: np.ndarray) -> np.ndarray:
        """The class index per pixel (uint8 H×W), parsed at 512 × 512 and resized back (nearest)."""
        import torch

        from . import bisenet

        image = as_rgb(image)
        height, width = image.shape[:2]
        model = self._load()
        small = Image.fromarray(image).resize((bisenet.INPUT_SIZE, bisenet.INPUT_SIZE), Image.Resampling.BILINEAR)
        tensor = torch.from_numpy(np.asarray(small, dtype=np.float32) / 255.0).permute(2, 0, 1)
        mean = torch.tensor(bisenet.IMAGENET_MEAN).view(3, 1, 1)
        std = torch.tensor(bisenet.IMAGENET_STD).view(3, 1, 1)
        tensor = ((tensor - mean) / std)[None].to(self.device)
        with torch.inference_mode():
            logits = model(tensor)[0]
        parsed = logits[0].argmax(0).to(torch.uint8).cpu().numpy()
        return np.asarray(Image.fromarray(parsed).resize((width, height), Image.Resampling.NEAREST))

    def mask(self, image: np.ndarray) -> np.ndarray:
        from . import bisenet

        return ~np.isin(self.labels(image), sorted(bisenet.BACKGROUND))


def mask_availability(name: str):
    """Whether the named mask can run here (an :class:`iqabench.Availability`), without loading a model."""
    from iqabench.metric import Availability

    if name == "mediapipe":
        try:
            import ai_edge_litert.interpreter  # noqa: F401
        except ImportError as exc:
            return Availability(False, f"the mediapipe face mask needs ai-edge-litert ({exc}): pip install ai-edge-litert")
    if name == "bisenet":  # a file check: the constants of .bisenet, which imports torch (listings must not)
        from iqabench import weights

        file_name, url, subdir = BISENET_WEIGHTS
        if weights.find(file_name, subdir) is None:
            return Availability(False, weights.missing_message(file_name, url, subdir, "it is not here"))
    return Availability(True)


#: facexlib's BiSeNet weight file: (name, URL, subfolder), the same as :mod:`.bisenet`'s WEIGHTS_FILE, WEIGHTS_URL
#: and WEIGHTS_SUBDIR (a test keeps them equal).
BISENET_WEIGHTS = ("parsing_bisenet.pth",
                   "https://github.com/xinntao/facexlib/releases/download/v0.2.0/parsing_bisenet.pth", "facexlib")


def masker(name: str = DEFAULT_MASK, **options) -> FaceMasker:
    """The face masker called ``name`` (one of :data:`MASKS`), built with ``options``."""
    if name == "none":
        if options:
            raise TypeError(f"the 'none' mask takes no options, got {', '.join(sorted(options))}")
        return NoMask()
    if name == "mediapipe":
        return MediapipeMasker(**options)
    if name == "bisenet":
        return BisenetMasker(**options)
    raise ValueError(f"unknown face mask {name!r}; choose one of {', '.join(MASKS)}")


__all__ = [
    "DEFAULT_MASK",
    "MASKS",
    "BisenetMasker",
    "FaceMasker",
    "MediapipeMasker",
    "NoMask",
    "as_rgb",
    "mask_availability",
    "masker",
    "polygon_mask",
]
