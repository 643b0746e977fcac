"""IQABENCH_SHARED pointing at an empty folder: the tests that read the shared data skip, each naming a file it
needs, and none fails or errors (as on a user's clone, where that folder holds nothing)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from shared_data import SHARED_ENV

TESTS = Path(__file__).resolve().parent

#: a few quick tests of each kind of shared input: label files, images, faces, weight files.
FILES = ["test_datasets_shared.py", "test_cli_availability.py", "test_cli_listing_cost.py", "test_images.py",
         "test_gfiqa_prior_train.py", "test_effres_masks.py", "test_pyiqa_plugin.py", "test_weights_security.py"]
QUICK = " or ".join(["test_datasets_shared", "its_file_in_the_weights_folder", "its_real_file_is_present",
                     "calibration_images_are_bit_exact", "split_is_seeded", "mask_is_deterministic",
                     "calibration_against_pyiqa", "official_files_match_the_pins"])


@pytest.mark.slow
def test_an_empty_shared_folder_skips_naming_the_files(tmp_path):
    environment = dict(os.environ, **{SHARED_ENV: str(tmp_path)})
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-k", QUICK,
                           *(str(TESTS / name) for name in FILES)],
                          cwd=TESTS.parent, capture_output=True, text=True, env=environment, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    summary = output.strip().splitlines()[-1]
    assert "skipped" in summary and not re.search(r"\b(failed|errors?)\b", summary), summary
    reasons = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert any("needs data/" in line for line in reasons), output
    assert any("needs weights/pyiqa/" in line for line in reasons), output
    assert all(str(tmp_path) in line for line in reasons if "needs " in line), reasons
