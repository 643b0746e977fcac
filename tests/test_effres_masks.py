"""effres face masks (plugins/iqabench_effres/masks.py): the interface, the bundled MediaPipe models on real
faces from ../shared, the hand-drawn reference IoU, and the BiSeNet architecture (never its real weights)."""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from iqabench.errors import WeightsError
from iqabench_effres import bisenet, masks
from iqabench_effres import mediapipe_face as mf
from shared_data import requires_shared, shared_file

REFERENCE = Path(__file__).parent / "data" / "effres_mask_reference.json"
ALIGNED = [
    "hq/celebahq/ref_female_015248.jpg",
    "hq/celebahq/ref_male_012712.jpg",
    "hq/celebahq/src_female_039913.jpg",
    "hq/celebahq/src_male_191300.jpg",
]
#: measured on the 10 reference faces: mean IoU 0.884, lowest 0.761 (long hair below the chin).
MEAN_IOU_FLOOR = 0.85
FACE_IOU_FLOOR = 0.70


def load(relative: str) -> np.ndarray:
    """A face of the shared folder as RGB; the calling test skips, naming the file, where it is absent."""
    return np.asarray(Image.open(shared_file(f"data/faces/{relative}")).convert("RGB"))


@pytest.fixture(scope="module")
def mediapipe():
    return masks.masker("mediapipe")


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


# --- the interface ----------------------------------------------------------------------------------


def test_factory_names_and_options():
    assert masks.MASKS == ("mediapipe", "bisenet", "none")
    for name in masks.MASKS:
        made = masks.masker(name)
        assert isinstance(made, masks.FaceMasker)
        assert made.name == name
    assert masks.masker("mediapipe", cut="jaw", head_width=2.0).name == "mediapipe(cut='jaw', head_width=2.0)"
    assert masks.masker("mediapipe", detector="auto").name == "mediapipe"  # defaults are not spelled out
    with pytest.raises(ValueError, match="unknown face mask"):
        masks.masker("sam")
    with pytest.raises(TypeError, match="unknown option"):
        masks.masker("mediapipe", threshold=0.3)
    with pytest.raises(ValueError, match="detector"):
        masks.masker("mediapipe", detector="long_range")
    with pytest.raises(ValueError, match="cut"):
        masks.masker("mediapipe", cut="neck")
    with pytest.raises(TypeError):
        masks.masker("none", cut="jaw")


def test_none_mask_is_all_foreground():
    made = masks.masker("none")
    out = made.mask(np.zeros((5, 7, 3), np.uint8))
    assert out.dtype == bool and out.shape == (5, 7) and out.all()
    assert made(np.zeros((4, 3), np.uint8)).shape == (4, 3)  # greyscale too


def test_input_conversion():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb = masks.as_rgb(grey)
    assert rgb.shape == (3, 4, 3) and (rgb[..., 0] == grey).all() and (rgb[..., 2] == grey).all()
    assert masks.as_rgb(grey[:, :, None]).shape == (3, 4, 3)
    assert masks.as_rgb(np.zeros((3, 4, 4), np.uint8)).shape == (3, 4, 3)  # alpha dropped
    with pytest.raises(ValueError, match="uint8"):
        masks.as_rgb(np.zeros((3, 4, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        masks.as_rgb(np.zeros((3, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        masks.as_rgb(np.zeros((0, 4, 3), np.uint8))


def test_polygon_mask_uses_pixel_centres():
    square = masks.polygon_mask(np.array([[1, 1], [4, 1], [4, 3], [1, 3]], float), 5, 6)
    assert square.sum() == 6 and square[1:3, 1:4].all()


# --- MediaPipe pieces without images ------------------------------------------------------------------


def test_ssd_anchors_match_the_model_outputs():
    short = mf.ssd_anchor_centres(128, (8, 16, 16, 16), 1.0)
    full = mf.ssd_anchor_centres(192, (4,), 0.0)
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    # stride 8: 16 × 16 cells, 2 anchors each, cells row by row; then stride 16: 8 × 8 cells, 6 anchors each
    assert np.allclose(short[0], [0.5 / 16, 0.5 / 16]) and np.allclose(short[1], short[0])
    assert np.allclose(short[2], [1.5 / 16, 0.5 / 16])
    assert np.allclose(short[512], [0.5 / 8, 0.5 / 8]) and np.allclose(short[517], short[512])
    assert np.allclose(short[518], [1.5 / 8, 0.5 / 8])
    assert np.allclose(full[48], [0.5 / 48, 1.5 / 48])
    for kind, (file_name, size, _, _, _) in mf.DETECTORS.items():
        model = mf.TfliteModel(mf.MODEL_DIR / file_name)
        assert model.input_shape == (1, size, size, 3), kind
        assert len(mf.FaceDetector(kind).anchors) == {"short_range": 896, "full_range": 2304}[kind]


def test_weighted_nms_merges_overlaps():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], float)
    points = np.zeros((3, 6, 2))
    points[1] += 3.0
    kept = mf.weighted_nms(boxes, points, np.array([0.9, 0.3, 0.8]))
    assert len(kept) == 2
    box, keypoints, score = kept[0]
    assert score == 0.9 and np.allclose(box, [0.25, 0, 10.25, 10]) and np.allclose(keypoints, 0.75)
    assert np.allclose(kept[1][0], boxes[2])


def test_bundled_models_match_their_readme():
    readme = (mf.MODEL_DIR / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| (\d+) \| `([0-9a-f]{64})` \|$", readme, flags=re.MULTILINE)
    assert {row[0] for row in rows} == {
        "face_detection_short_range.tflite", "face_detection_full_range_sparse.tflite",
        "face_landmark.tflite", "selfie_segmentation.tflite", "LICENSE-APACHE-2.0",
    }
    for name, _, size, digest in rows:
        data = (mf.MODEL_DIR / name).read_bytes()
        assert len(data) == int(size) and hashlib.sha256(data).hexdigest() == digest, name
    assert "Apache License" in (mf.MODEL_DIR / "LICENSE-APACHE-2.0").read_text()


@pytest.mark.parametrize(
    "image",
    [
        np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
        np.full((300, 400, 3), 128, np.uint8),
        np.zeros((64, 64), np.uint8),
        np.full((1, 1, 3), 200, np.uint8),
    ],
    ids=["noise", "grey", "black-greyscale-64", "one-pixel"],
)
def test_no_face_gives_an_empty_mask(mediapipe, image):
    out = mediapipe.mask(image)
    assert out.dtype == bool and out.shape == image.shape[:2] and not out.any()
    assert mediapipe.landmarks(image) is None


# --- MediaPipe on real faces ----------------------------------------------------------------------------


@requires_shared
@pytest.mark.parametrize("relative", ALIGNED)
def test_aligned_face_mask_is_plausible(mediapipe, relative):
    image = load(relative)
    out = mediapipe.mask(image)
    height, width = out.shape
    assert out.dtype == bool and out.shape == image.shape[:2]
    # on all 56 celebahq and 13 ffhq faces the foreground covered 0.42 to 0.82 of the image
    assert 0.35 < out.mean() < 0.9
    assert out[height // 2, width // 2]
    assert not out[:4, :4].any() and not out[:4, -4:].any() and not out[-4:, :4].any() and not out[-4:, -4:].any()
    assert len(mediapipe.landmarks(image)) == 468


@requires_shared
def test_mask_is_deterministic(mediapipe):
    image = load(ALIGNED[0])
    first = mediapipe.mask(image)
    assert np.array_equal(first, mediapipe.mask(image))
    assert np.array_equal(first, masks.masker("mediapipe").mask(image))  # a fresh masker, fresh models


@requires_shared
def test_greyscale_input_is_converted_to_rgb(mediapipe):
    grey = np.asarray(Image.open(shared_file(f"data/faces/{ALIGNED[1]}")).convert("L"))
    out = mediapipe.mask(grey)
    assert out.shape == grey.shape and 0.35 < out.mean() < 0.9
    assert np.array_equal(out, mediapipe.mask(np.repeat(grey[:, :, None], 3, axis=2)))
    assert np.array_equal(out, mediapipe.mask(grey[:, :, None]))


@requires_shared
@pytest.mark.parametrize("size", [64, 32])
def test_small_images(mediapipe, size):
    image = np.asarray(Image.fromarray(load(ALIGNED[1])).resize((size, size), Image.Resampling.LANCZOS))
    out = mediapipe.mask(image)
    assert out.shape == (size, size)
    assert 0.35 < out.mean() < 0.9 and out[size // 2, size // 2] and not out[0, 0] and not out[-1, -1]


@requires_shared
@pytest.mark.parametrize("angle", [25, -40])
def test_tilted_face_follows_the_tilt(mediapipe, angle):
    """The crop turns with the eye line and the head region with the face: the mask of a rotated face
    is (nearly) the rotated mask."""
    picture = Image.fromarray(load(ALIGNED[1]))
    upright = mediapipe.mask(np.asarray(picture))
    tilted = mediapipe.mask(np.asarray(picture.rotate(angle, resample=Image.Resampling.BILINEAR)))
    expected = np.asarray(Image.fromarray(upright).rotate(angle))
    inside = np.asarray(Image.fromarray(np.ones_like(upright)).rotate(angle))
    assert iou(tilted & inside, expected & inside) > 0.85


@requires_shared
def test_wild_photo_finds_the_face(mediapipe):
    image = load("wild/deepface/img13.jpg")  # a 2048 × 1364 half-length portrait
    out = mediapipe.mask(image)
    assert 0.05 < out.mean() < 0.2
    points = mediapipe.landmarks(image)
    centre = points.mean(axis=0).round().astype(int)
    assert out[centre[1], centre[0]]
    assert not out[-50:].any()  # the sweater at the bottom


@requires_shared
def test_iou_against_hand_drawn_references(mediapipe):
    reference = json.loads(REFERENCE.read_text())
    scores = {}
    for relative, face in reference["faces"].items():
        image = np.asarray(Image.open(shared_file(relative)).convert("RGB"))
        height, width = image.shape[:2]
        assert [width, height] == face["size"], relative
        drawn = np.zeros((height, width), bool)
        for polygon in face["polygons"]:
            drawn |= masks.polygon_mask(np.array(polygon, float), height, width)
        scores[relative] = iou(mediapipe.mask(image), drawn)
    assert len(scores) >= 8
    low = {name: round(score, 3) for name, score in scores.items() if score < FACE_IOU_FLOOR}
    assert not low, f"faces under IoU {FACE_IOU_FLOOR}: {low}"
    assert np.mean(list(scores.values())) > MEAN_IOU_FLOOR, scores


# --- BiSeNet (architecture only; the real weights are not here) ----------------------------------------


def _conv(key, out, inp, k):
    return {f"{key}.weight": (out, inp, k, k)}


def _bn(key, n):
    return {f"{key}.{name}": (n,) for name in ("weight", "bias", "running_mean", "running_var")} | {
        f"{key}.num_batches_tracked": ()
    }


def _conv_bn_relu(key, out, inp, k):
    return _conv(f"{key}.conv", out, inp, k) | _bn(f"{key}.bn", out)


def facexlib_bisenet_keys() -> dict[str, tuple]:
    """The state dict of facexlib's BiSeNet(num_class=19), written out from facexlib/parsing/bisenet.py
    and resnet.py by hand (not from our module)."""
    keys = _conv("cp.resnet.conv1", 64, 3, 7) | _bn("cp.resnet.bn1", 64)
    for layer, (inp, out) in enumerate([(64, 64), (64, 128), (128, 256), (256, 512)], start=1):
        for block in range(2):
            prefix = f"cp.resnet.layer{layer}.{block}"
            first_in = inp if block == 0 else out
            keys |= _conv(f"{prefix}.conv1", out, first_in, 3) | _bn(f"{prefix}.bn1", out)
            keys |= _conv(f"{prefix}.conv2", out, out, 3) | _bn(f"{prefix}.bn2", out)
            if block == 0 and inp != out:
                keys |= _conv(f"{prefix}.downsample.0", out, inp, 1) | _bn(f"{prefix}.downsample.1", out)
    for arm, inp in (("arm16", 256), ("arm32", 512)):
        keys |= _conv_bn_relu(f"cp.{arm}.conv", 128, inp, 3)
        keys |= _conv(f"cp.{arm}.conv_atten", 128, 128, 1) | _bn(f"cp.{arm}.bn_atten", 128)
    keys |= _conv_bn_relu("cp.conv_head32", 128, 128, 3) | _conv_bn_relu("cp.conv_head16", 128, 128, 3)
    keys |= _conv_bn_relu("cp.conv_avg", 128, 512, 1)
    keys |= _conv_bn_relu("ffm.convblk", 256, 256, 1)
    keys |= _conv("ffm.conv1", 64, 256, 1) | _conv("ffm.conv2", 256, 64, 1)
    for head, inp, mid in (("conv_out", 256, 256), ("conv_out16", 128, 64), ("conv_out32", 128, 64)):
        keys |= _conv_bn_relu(f"{head}.conv", mid, inp, 3) | _conv(f"{head}.conv_out", 19, mid, 1)
    return keys


def test_bisenet_state_dict_matches_facexlib():
    state = bisenet.BiSeNet(19).state_dict()
    expected = facexlib_bisenet_keys()
    assert set(state) == set(expected)
    assert {key: tuple(value.shape) for key, value in state.items()} == expected
    assert len(bisenet.LABELS) == 19 and [bisenet.LABELS[i] for i in sorted(bisenet.BACKGROUND)] == [
        "background", "neck", "neck_l", "cloth", "hat",
    ]


def test_bisenet_forward_and_masker_on_random_weights(tmp_path):
    """Random weights only: the shapes, the strict weights_only load and the mask plumbing; says nothing
    about parsing quality (facexlib's parsing_bisenet.pth was never run here)."""
    torch.manual_seed(0)
    model = bisenet.BiSeNet(19).eval()
    with torch.inference_mode():
        out, out16, out32 = model(torch.randn(1, 3, 512, 512))
    assert out.shape == out16.shape == out32.shape == (1, 19, 512, 512)
    path = tmp_path / bisenet.WEIGHTS_FILE
    torch.save(model.state_dict(), path)
    made = masks.masker("bisenet", weights=path)
    image = np.random.default_rng(1).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    labels = made.labels(image)
    assert labels.shape == (300, 200) and labels.max() < 19
    result = made.mask(image)
    assert result.dtype == bool and np.array_equal(result, ~np.isin(labels, [0, 14, 15, 16, 18]))


def test_bisenet_without_weights_offline_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(tmp_path / "weights"))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    made = masks.masker("bisenet")
    with pytest.raises(WeightsError) as raised:
        made.mask(np.zeros((32, 32, 3), np.uint8))
    message = str(raised.value)
    assert "parsing_bisenet.pth" in message and bisenet.WEIGHTS_URL in message
    assert str(tmp_path / "weights" / "facexlib") in message
