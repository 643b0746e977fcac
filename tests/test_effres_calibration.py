"""effres's calibration: isotonic knots (pooled where the raw order and the truth disagree), a map that is
strictly increasing (ranks kept exactly), refused malformed knots, and the command that fits it on real
held-out faces and writes the checkpoint with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from iqabench_effres import calibrate as calibrate_command
from iqabench_effres import checkpoint
from iqabench_effres.calibration import BLEND, Calibration, fit, isotonic_knots
from scipy.stats import spearmanr
from shared_data import needs_shared, requires_shared, shared_file


def test_a_pair_in_the_wrong_order_is_pooled_into_one_knot():
    raw, calibrated = isotonic_knots([0.1, 0.2, 0.3], [0.6, 0.4, 0.9])
    np.testing.assert_allclose(raw, [0.15, 0.3])
    np.testing.assert_allclose(calibrated, [0.5, 0.9])


def test_equal_raw_scores_share_a_knot_and_the_knots_increase():
    rng = np.random.default_rng(0)
    raw = np.round(rng.random(400), 2)
    truth = np.sqrt(raw) + rng.normal(0, 0.1, raw.size)
    knots, values = isotonic_knots(raw, truth)
    assert np.all(np.diff(knots) > 0) and np.all(np.diff(values) >= 0)
    assert len(knots) < len(np.unique(raw))


def test_a_monotone_truth_is_recovered_up_to_the_blend():
    raw = np.linspace(0.05, 0.6, 50)
    truth = np.clip(2 * raw - 0.05, 0, 1)  # a compressed scale, as a MAPE-trained network reads
    calibration = fit(raw, truth)
    mapped = np.array([calibration(r) for r in raw])
    assert np.max(np.abs(mapped - truth)) <= BLEND + 1e-9


def test_the_map_keeps_every_rank_even_past_the_end_knots():
    calibration = fit([0.2, 0.3, 0.4], [0.1, 0.1, 1.0])
    raw = np.random.default_rng(1).random(300)
    mapped = [calibration(r) for r in raw]
    assert spearmanr(raw, mapped)[0] == pytest.approx(1.0)
    assert calibration(0.0) < calibration(0.1) < calibration(0.2)
    assert calibration(0.5) < calibration(0.9) <= 1.0


def test_it_round_trips_through_a_dict_and_refuses_malformed_knots():
    calibration = fit([0.1, 0.5], [0.2, 0.9], "two faces")
    assert Calibration.from_dict(calibration.as_dict()) == calibration
    with pytest.raises(ValueError, match="increase strictly"):
        Calibration((0.5, 0.1), (0.2, 0.9))
    with pytest.raises(ValueError, match="as many"):
        Calibration((0.1, 0.5), (0.2,))
    with pytest.raises(ValueError, match="finite"):
        Calibration((0.1, float("nan")), (0.2, 0.3))
    with pytest.raises(ValueError, match="refit it"):
        Calibration.from_dict({"raw": [0.1]})


@requires_shared
@needs_shared("data/faces/more")
def test_the_command_fits_on_real_faces_and_writes_a_calibrated_checkpoint(tmp_path, capsys):
    faces = shared_file("data/faces")
    out = tmp_path / "calibrated.pt"
    code = calibrate_command.main(["--checkpoint", str(checkpoint.SHIPPED), "--faces", str(faces),
                                   "--subset", "sharp-val", "--size", "192", "--versions", "1", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    payload = checkpoint.load(out)
    fitted = Calibration.from_dict(payload["calibration"])
    figures = payload["calibration"]["figures"]
    assert figures["images"] + figures["no_face"] == 10 * 3
    assert figures["mae_calibrated"] <= figures["mae_raw"]
    shipped = checkpoint.load(checkpoint.SHIPPED)
    assert all(torch.equal(payload["model"][k], shipped["model"][k]) for k in shipped["model"])
    assert "sharp-val" in fitted.fitted_on and "192 px" in fitted.fitted_on
    assert "mean absolute error" in capsys.readouterr().out


def test_the_command_refuses_to_write_over_its_checkpoint(tmp_path, capsys):
    path = tmp_path / "x.pt"
    path.write_bytes(b"")
    assert calibrate_command.main(["--checkpoint", str(path), "--faces", str(tmp_path), "--out", str(path)]) == 2
    assert "must differ" in capsys.readouterr().err
