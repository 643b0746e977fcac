"""MediaPipe's face detector, face mesh and selfie segmentation, run with LiteRT (``ai-edge-litert``) and
numpy alone; no ``mediapipe`` package. The three Apache-2.0 models lie in ``face_models/`` (their README
says where each came from).

The pre- and post-processing follows MediaPipe's graphs (``mediapipe/modules/...``):

* face detection, ``face_detection_short_range.pbtxt`` / ``face_detection_full_range.pbtxt`` through
  ``face_detection.pbtxt``: the image is letterboxed (aspect kept, centred, zero border) to the model's
  square input on [-1, 1]; SSD anchors (fixed size 1) decode the 16 regressors (box centre and size,
  then 6 keypoints: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion, all in
  input pixels, x before y); scores are ``sigmoid(clip(logit, ±100))``; weighted non-maximum suppression
  at IoU 0.3.
* face mesh, ``face_detection_front_detection_to_roi.pbtxt`` + ``face_landmark_cpu.pbtxt``: the crop is a
  square of 1.5 × the long side of the detection box, centred on the box and rotated so that the eye
  keypoints (0 → 1) lie on a horizontal line; it is resampled to 192 × 192 on [0, 1] and the model gives
  468 (x, y, z) points in crop pixels plus a face-presence logit. Points map back through the same
  rotation and scale; outside the image the border repeats (BORDER_REPLICATE). The presence logit goes
  through a sigmoid and a face counts as present at ≥ 0.5 (MediaPipe's face-mesh solutions).
* selfie segmentation, ``selfie_segmentation_cpu.pbtxt`` (general model, ``model_selection=0``): the whole
  image is stretched to 256 × 256 on [0, 1]; the output is already a probability (``activation: NONE``).

Resampling uses Pillow (bilinear; downscaling with Pillow's area-aware filter), so tensors differ a
little from MediaPipe's OpenCV ones; everything runs single-threaded and is deterministic.

What the LiteRT runtime prints to the process's stderr while an interpreter is made and first run
(``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.``) goes to the logger ``iqabench.effres``
at DEBUG instead (``iqabench --verbose`` shows it).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

MODEL_DIR = Path(__file__).resolve().parent / "face_models"

#: detector name -> model file, square input size, anchor layers' strides, interpolated anchor ratio,
#: score threshold (the values of MediaPipe's graphs).
DETECTORS = {
    "short_range": ("face_detection_short_range.tflite", 128, (8, 16, 16, 16), 1.0, 0.5),
    "full_range": ("face_detection_full_range_sparse.tflite", 192, (4,), 0.0, 0.6),
}
LANDMARK_MODEL = "face_landmark.tflite"
SEGMENTATION_MODEL = "selfie_segmentation.tflite"
#: MediaPipe's FACEMESH_FACE_OVAL as one closed polygon, from the forehead (10) clockwise over the
#: subject's left side, the chin (152) and back up.
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
CHIN = 152
FOREHEAD = 10
NMS_IOU = 0.3
ROI_SCALE = 1.5
LANDMARK_INPUT = 192
SEGMENTATION_INPUT = 256


log = logging.getLogger("iqabench.effres")
#: one redirection of the process's stderr at a time.
_STDERR = threading.Lock()


@contextmanager
def native_stderr_to_log(what: str) -> Iterator[None]:
    """What is written to file descriptor 2 inside the block (by native code, which Python's ``sys.stderr``
    does not see) becomes records of :data:`log`, a line each, prefixed with ``what``: DEBUG, or WARNING
    when the block fails (then it may say why)."""
    with _STDERR, tempfile.TemporaryFile() as captured:
        _flush(sys.stderr)  # what Python wrote before stays on stderr
        try:
            saved = os.dup(2)
        except OSError:  # no stderr to redirect
            yield
            return
        os.dup2(captured.fileno(), 2)
        level = logging.WARNING
        try:
            yield
            level = logging.DEBUG
        finally:
            _flush(sys.stderr)
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines():
                if line.strip():
                    log.log(level, "%s: %s", what, line.rstrip())


def _flush(stream) -> None:
    try:
        stream.flush()
    except (AttributeError, OSError, ValueError):  # no stream, or a closed one: nothing to keep in order
        pass


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as exc:  # pragma: no cover - the dependency is declared
        raise ImportError(
            "the 'mediapipe' face mask needs the LiteRT runtime: pip install ai-edge-litert"
        ) from exc
    return Interpreter


class TfliteModel:
    """One ``.tflite`` file behind a lock (a LiteRT interpreter is not thread-safe)."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self.path = Path(path)
        with native_stderr_to_log(f"LiteRT ({self.path.name})"):
            self._interpreter = _interpreter_class()(model_path=str(self.path), num_threads=threads)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = self._interpreter.get_output_details()
        self._lock = threading.Lock()
        self._invoked = False

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(int(size) for size in self._input["shape"])

    def __call__(self, tensor: np.ndarray) -> list[np.ndarray]:
        tensor = np.ascontiguousarray(tensor, dtype=np.float32).reshape(self.input_shape)
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], tensor)
            if self._invoked:
                self._interpreter.invoke()
            else:  # the first run may set up delegates, which print
                with native_stderr_to_log(f"LiteRT ({self.path.name})"):
                    self._interpreter.invoke()
                self._invoked = True
            return [self._interpreter.get_tensor(out["index"]).copy() for out in self._outputs]


def ssd_anchor_centres(input_size: int, strides: tuple[int, ...], interpolated_ratio: float) -> np.ndarray:
    """Centres (N, 2) as (x, y) on [0, 1] of MediaPipe's SsdAnchorsCalculator with ``fixed_anchor_size``,
    one aspect ratio (1.0), offsets 0.5 and ``reduce_boxes_in_lowest_layer`` off: consecutive layers of
    one stride share a grid, every layer adds one anchor per cell, plus one for the interpolated scale
    when ``interpolated_ratio > 0``; cells run row by row, anchors of a cell together."""
    centres = []
    layer = 0
    while layer < len(strides):
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += 1 + (1 if interpolated_ratio > 0 else 0)
            last += 1
        cells = math.ceil(input_size / strides[layer])
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(grid, per_cell, axis=0))
        layer = last
    return np.concatenate(centres).astype(np.float32)


@dataclass(frozen=True)
class FaceDetection:
    """A face in image pixels: ``box`` (x0, y0, x1, y1), ``keypoints`` (6, 2) as (x, y), ``score``."""

    box: tuple[float, float, float, float]
    keypoints: np.ndarray
    score: float

    @property
    def area(self) -> float:
        return max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1])


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, threshold: float = NMS_IOU):
    """MediaPipe's WEIGHTED non-maximum suppression: the best remaining detection absorbs every other
    one overlapping it by IoU > ``threshold``; box and keypoints become the score-weighted mean of the
    cluster, the score stays the best one's. Returns a list of (box, keypoints, score)."""
    remaining = np.argsort(-scores, kind="stable")
    kept = []
    while remaining.size:
        best = remaining[0]
        overlap = _iou(boxes[best], boxes[remaining])
        overlap[0] = np.inf  # the best always belongs to its own cluster, even with a degenerate box
        cluster = remaining[overlap > threshold]
        weights = scores[cluster][:, None]
        box = (boxes[cluster] * weights).sum(0) / weights.sum()
        points = (keypoints[cluster] * weights[:, :, None]).sum(0) / weights.sum()
        kept.append((box, points, float(scores[best])))
        remaining = remaining[overlap <= threshold]
    return kept


def _letterbox(image: np.ndarray, size: int) -> tuple[np.ndarray, tuple[float, float], tuple[int, int]]:
    """The image fitted into a ``size`` square (aspect kept, centred, black border) as float on [-1, 1],
    with the scale (image pixels per square pixel, x and y) and the offset of the picture in the square."""
    height, width = image.shape[:2]
    longest = max(height, width)
    inner = (max(1, round(width * size / longest)), max(1, round(height * size / longest)))
    picture = Image.fromarray(image).resize(inner, Image.Resampling.BILINEAR)
    offset = ((size - inner[0]) // 2, (size - inner[1]) // 2)
    canvas = Image.new("RGB", (size, size))
    canvas.paste(picture, offset)
    array = np.asarray(canvas, dtype=np.float32) / 127.5 - 1.0
    return array, (width / inner[0], height / inner[1]), offset


class FaceDetector:
    """BlazeFace: ``detect(image)`` → the faces in an RGB uint8 image, best score first."""

    def __init__(self, kind: str = "full_range", model_dir: Path = MODEL_DIR, min_score: float | None = None):
        if kind not in DETECTORS:
            raise ValueError(f"unknown face detector {kind!r}; choose one of {', '.join(DETECTORS)}")
        file_name, self.size, strides, ratio, threshold = DETECTORS[kind]
        self.kind = kind
        self.model = TfliteModel(Path(model_dir) / file_name)
        self.anchors = ssd_anchor_centres(self.size, strides, ratio)
        self.min_score = threshold if min_score is None else min_score

    def detect(self, image: np.ndarray) -> list[FaceDetection]:
        tensor, (scale_x, scale_y), (offset_x, offset_y) = _letterbox(image, self.size)
        outputs = self.model(tensor[None])
        raw, logits = sorted(outputs, key=lambda out: out.shape[-1], reverse=True)
        raw = raw.reshape(-1, raw.shape[-1])
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.reshape(-1).astype(np.float64), -100.0, 100.0)))
        keep = scores >= self.min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        # Offsets in input pixels of an anchor of size 1: divide by the input size (x/y/w/h_scale).
        centre = raw[:, 0:2] / self.size + anchors
        half = raw[:, 2:4] / self.size / 2.0
        boxes = np.concatenate([centre - half, centre + half], axis=1) * self.size
        points = (raw[:, 4:16].reshape(-1, 6, 2) / self.size + anchors[:, None, :]) * self.size
        faces = []
        for box, kps, score in weighted_nms(boxes, points, scores):
            # Square-input pixels → image pixels.
            box = np.array([(box[0] - offset_x) * scale_x, (box[1] - offset_y) * scale_y,
                            (box[2] - offset_x) * scale_x, (box[3] - offset_y) * scale_y])
            kps = np.stack([(kps[:, 0] - offset_x) * scale_x, (kps[:, 1] - offset_y) * scale_y], axis=1)
            faces.append(FaceDetection(tuple(float(v) for v in box), kps, score))
        return faces


@dataclass(frozen=True)
class RotatedSquare:
    """A square crop in image pixels: centre, side, rotation (radians, the crop's x axis is
    (cos, sin) in image coordinates, y pointing down)."""

    cx: float
    cy: float
    side: float
    rotation: float

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Points on the unit crop ([0, 1]², (x, y)) → image pixels."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        u = (points[..., 0] - 0.5) * self.side
        v = (points[..., 1] - 0.5) * self.side
        return np.stack([self.cx + c * u - s * v, self.cy + s * u + c * v], axis=-1)


def _normalise_radians(angle: float) -> float:
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_detection(face: FaceDetection, scale: float = ROI_SCALE, rotate: bool = True) -> RotatedSquare:
    """MediaPipe's DetectionsToRects (rotation from keypoint 0 to keypoint 1, target 0°) followed by
    RectTransformation (``square_long``, ×1.5)."""
    x0, y0, x1, y1 = face.box
    rotation = 0.0
    if rotate:
        (ax, ay), (bx, by) = face.keypoints[0], face.keypoints[1]
        rotation = _normalise_radians(-math.atan2(-(by - ay), bx - ax))
    return RotatedSquare((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * scale, rotation)


def roi_from_landmarks(points: np.ndarray, scale: float = ROI_SCALE) -> RotatedSquare:
    """MediaPipe's FaceLandmarkLandmarksToRoi: the landmarks' bounding box, rotated by the line from the
    outer corner of one eye (33) to the other's (263), square and ×1.5."""
    x0, y0 = points[:, 0].min(), points[:, 1].min()
    x1, y1 = points[:, 0].max(), points[:, 1].max()
    (ax, ay), (bx, by) = points[33, :2], points[263, :2]
    rotation = _normalise_radians(-math.atan2(-(by - ay), bx - ax))
    return RotatedSquare(float(x0 + x1) / 2, float(y0 + y1) / 2, float(max(x1 - x0, y1 - y0)) * scale, rotation)


def crop(image: np.ndarray, roi: RotatedSquare, size: int) -> np.ndarray:
    """The rotated square resampled to ``size`` × ``size`` (bilinear; outside the image the border pixels
    repeat, as MediaPipe's BORDER_REPLICATE)."""
    c, s = math.cos(roi.rotation), math.sin(roi.rotation)
    step = roi.side / size
    # Pillow's affine map takes output (x, y) to input (a x + b y + c, d x + e y + f), pixel centres
    # included, so the continuous crop coordinate maps exactly as RotatedSquare.to_image.
    a, b, d, e = c * step, -s * step, s * step, c * step
    tx = roi.cx - (a + b) * size / 2
    ty = roi.cy - (d + e) * size / 2
    picture = Image.fromarray(image)
    if step > 2:
        # Large downscale: shrink by whole factors first (box filter) so the bilinear sampling does not alias.
        factor = int(step // 1.5)
        picture = picture.reduce(factor)
        a, b, d, e, tx, ty = (v / factor for v in (a, b, d, e, tx, ty))
    corners = np.array([[tx + a * x + b * y, ty + d * x + e * y] for x in (0, size) for y in (0, size)])
    width, height = picture.size
    overhang = max(0.0, -corners.min(), (corners[:, 0] - width).max(), (corners[:, 1] - height).max())
    margin = math.ceil(overhang) + 2
    if margin > 2:
        padded = np.pad(np.asarray(picture), ((margin, margin), (margin, margin), (0, 0)), mode="edge")
        picture = Image.fromarray(padded)
        tx, ty = tx + margin, ty + margin
    out = picture.transform((size, size), Image.Transform.AFFINE, (a, b, tx, d, e, ty), Image.Resampling.BILINEAR)
    return np.asarray(out)


class FaceMesh:
    """The 468-point face mesh on one face ROI."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.model = TfliteModel(Path(model_dir) / LANDMARK_MODEL)

    def landmarks(self, image: np.ndarray, roi: RotatedSquare) -> tuple[np.ndarray, float]:
        """(468, 2) image-pixel points and the face-presence probability."""
        patch = crop(image, roi, LANDMARK_INPUT).astype(np.float32) / 255.0
        outputs = self.model(patch[None])
        raw, flag = sorted(outputs, key=lambda out: out.size, reverse=True)
        points = raw.reshape(-1, 3)[:, :2] / LANDMARK_INPUT
        presence = float(1.0 / (1.0 + np.exp(-float(flag.reshape(-1)[0]))))
        return roi.to_image(points), presence


class SelfieSegmenter:
    """Person probability per pixel (general 256 × 256 model)."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.model = TfliteModel(Path(model_dir) / SEGMENTATION_MODEL)

    def probability(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        small = Image.fromarray(image).resize((SEGMENTATION_INPUT, SEGMENTATION_INPUT), Image.Resampling.BILINEAR)
        (out,) = self.model(np.asarray(small, dtype=np.float32)[None] / 255.0)
        prob = Image.fromarray(out.reshape(SEGMENTATION_INPUT, SEGMENTATION_INPUT).astype(np.float32), mode="F")
        return np.asarray(prob.resize((width, height), Image.Resampling.BILINEAR))


__all__ = [
    "CHIN",
    "DETECTORS",
    "FACE_OVAL",
    "FOREHEAD",
    "MODEL_DIR",
    "FaceDetection",
    "FaceDetector",
    "FaceMesh",
    "RotatedSquare",
    "SelfieSegmenter",
    "crop",
    "roi_from_detection",
    "roi_from_landmarks",
    "ssd_anchor_centres",
    "weighted_nms",
]
