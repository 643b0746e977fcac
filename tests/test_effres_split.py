"""The identity-disjoint split of the shared faces that effres trains, validates and is tested on."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from iqabench_effres.testset import SPLIT_FILE
from shared_data import shared_file

SPLIT = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
PARTS = [key for key in SPLIT if key != "about"]


def test_no_face_is_in_two_parts():
    seen: dict[str, str] = {}
    for part in PARTS:
        for face in SPLIT[part]:
            assert face not in seen, f"{face} is in {seen.get(face)} and {part}"
            seen[face] = part


def test_the_sharp_parts_share_no_source_repository():
    repositories = {part: {PurePosixPath(face).parts[1] for face in SPLIT[part]}
                    for part in ("sharp-train", "sharp-val", "sharp-test")}
    assert all(face.startswith("more/") for part in repositories for face in SPLIT[part])
    assert not repositories["sharp-train"] & repositories["sharp-val"]
    assert not repositories["sharp-train"] & repositories["sharp-test"]
    assert not repositories["sharp-val"] & repositories["sharp-test"]


def test_every_listed_face_is_a_square_image_of_at_least_512_pixels_in_the_shared_folder():
    from PIL import Image

    faces = shared_file("data/faces")
    for part in ("sharp-train", "sharp-val", "sharp-test"):
        for face in SPLIT[part]:
            with Image.open(faces / face) as image:
                assert image.width == image.height >= 512, face
