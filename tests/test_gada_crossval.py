"""GADA cross-validation: the folds (each image held out once, the committed file reproducible and its last
fold the 80-image test split), phase 3 of a fold from a real phase-2 checkpoint on real LIVE Challenge images
(what trains, what stays frozen, what it saw, skipped when finished), held-out scores equal to the metric's,
and the report's figures against an independent computation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from iqabench_gada import checkpoint
from iqabench_gada.command import SPLITS
from iqabench_gada.crossval import (FOLDS_FILE, dumps, fold_split, folds_for, make_folds, report, score_images,
                                    train_fold)
from iqabench_gada.data import read_split
from iqabench_gada.metric import Gada
from iqabench_gada.train import TrainSettings, train
from scipy import stats as scipy_stats
from shared_data import SHARED, needs_shared, requires_shared
from test_gada_train import make_fr_set

from iqabench.images import load_image

CLIVE = SHARED / "data" / "clive"
CPU = torch.device("cpu")


def test_folds_hold_every_image_out_once():
    ids = [f"img{i}.png" for i in range(23)]
    folds = make_folds(ids, 5, seed=3)
    parts = folds["folds"]
    assert sorted(i for part in parts for i in part) == sorted(ids)
    assert sorted(len(part) for part in parts) == [4, 4, 5, 5, 5]
    assert make_folds(ids, 5, seed=3) == folds and make_folds(ids, 5, seed=4) != folds
    for index, part in enumerate(parts):
        split = fold_split(folds, index)
        assert split["test"] == part and not set(split["train"]) & set(part)
        assert sorted(split["train"] + split["test"]) == sorted(ids)
    with pytest.raises(ValueError, match="k must be"):
        make_folds(ids, 1, 0)


def test_folds_are_written_once_and_refused_for_other_images(tmp_path):
    path = tmp_path / "folds.json"
    ids = [f"{i}.jpg" for i in range(10)]
    first = folds_for(path, ids, 3, 0)
    assert json.loads(path.read_text()) == first
    assert folds_for(path, list(reversed(ids)), 3, seed=9) == first  # kept, not redrawn
    with pytest.raises(ValueError, match="holds 10 images, not the 9"):
        folds_for(path, ids[:9], 3, 0)


def test_the_committed_folds_cover_the_400_images_and_the_last_is_the_test_split():
    folds = json.loads(FOLDS_FILE.read_text())
    split = read_split(SPLITS / "livec.json")
    every = sorted(split["train"] + split["test"])
    assert folds == make_folds(every, 5, 0)
    assert [len(part) for part in folds["folds"]] == [80] * 5
    assert folds["folds"][4] == sorted(split["test"])  # the same seeded permutation as splits/livec.json


def test_the_report_matches_an_independent_computation():
    rng = np.random.default_rng(0)
    ids = [f"i{n}" for n in range(60)]
    labels = {i: float(v) for i, v in zip(ids, rng.normal(50, 10, 60))}
    truth = np.array([labels[i] for i in ids])
    good = dict(zip(ids, truth + rng.normal(0, 4, 60)))
    poor = dict(zip(ids, truth + rng.normal(0, 25, 60)))
    lower = dict(zip(ids, -truth + rng.normal(0, 4, 60)))  # a lower-is-better metric, as good as 'good'
    folds = make_folds(ids, 3, 0)
    result = report({"good": good, "poor": poor, "lower": lower}, {"good": False, "poor": False, "lower": True},
                    labels, folds, resamples=300)
    for name, scores in (("good", good), ("poor", poor)):
        expected = scipy_stats.spearmanr([scores[i] for i in ids], truth).statistic
        srcc = result["metrics"][name]["SRCC"]
        assert srcc["estimate"] == pytest.approx(expected, abs=1e-4)
        assert srcc["interval_95"][0] < srcc["estimate"] < srcc["interval_95"][1]
        per_fold = [scipy_stats.spearmanr([scores[i] for i in part], [labels[i] for i in part]).statistic
                    for part in folds["folds"]]
        assert result["per_fold_srcc"][name]["srcc"] == pytest.approx(per_fold, abs=1e-4)
        assert result["per_fold_srcc"][name]["sd"] == pytest.approx(np.std(per_fold, ddof=1), abs=1e-4)
    assert result["metrics"]["lower"]["SRCC"]["estimate"] > 0.8
    paired = next(row for row in result["paired"] if (row["A"], row["B"]) == ("good", "poor"))
    difference = paired["SRCC"]["difference"]
    assert difference["estimate"] == pytest.approx(result["metrics"]["good"]["SRCC"]["estimate"]
                                                   - result["metrics"]["poor"]["SRCC"]["estimate"], abs=1e-3)
    assert difference["interval_95"][0] > 0 and paired["SRCC"]["p_bootstrap"] < 0.05
    assert set(paired) >= {"SRCC", "PLCC", "PRA"} and 0 <= paired["SRCC"]["steiger_p"] <= 1
    rows = [{"id": i, "mos": labels[i], "good": good[i]} for i in ids]
    text = dumps({**result, "predictions": rows})
    assert json.loads(text) == {**result, "predictions": rows} and text.count("\n") > len(rows)


@pytest.fixture(scope="module")
def phase2(tmp_path_factory):
    """A real phase-2 checkpoint: phases 1 and 2 of GADA on a tiny full-reference set."""
    folder = tmp_path_factory.mktemp("cv")
    settings = TrainSettings(crop=32, batch=8, width=0.25, steps1=2, steps2=2, steps3=3, validation_crops=4)
    train(settings, folder / "p2.pt", phases=(1, 2), full_reference=make_fr_set(folder / "fr", size=48), device=CPU)
    return folder / "p2.pt"


def test_a_phase1_checkpoint_is_refused(tmp_path):
    settings = TrainSettings(crop=32, batch=8, width=0.25, steps1=1, steps2=1, steps3=1, validation_crops=4)
    train(settings, tmp_path / "p1.pt", phases=(1,), full_reference=make_fr_set(tmp_path / "fr", size=48), device=CPU)
    with pytest.raises(ValueError, match="a phase-2 checkpoint has 1 and 2"):
        train_fold(tmp_path / "p1.pt", tmp_path / "fold.pt", tmp_path / "none.json", tmp_path, 2, CPU)


@requires_shared
@needs_shared("data/clive")
def test_a_fold_runs_phase_3_alone_on_its_train_images_and_scores_as_the_metric(phase2, tmp_path):
    folds = json.loads(FOLDS_FILE.read_text())
    split = {"train": folds["folds"][1][:6], "test": folds["folds"][0][:3]}  # a few real images, kept fast
    split_file = tmp_path / "split.json"
    split_file.write_text(json.dumps(split))
    out = tmp_path / "fold" / "gada.pt"
    payload = train_fold(phase2, out, split_file, CLIVE, 4, CPU)
    before = checkpoint.load(phase2)
    assert payload["progress"]["done"] == [1, 2, 3] and [h["phase"] for h in payload["history"]] == [1, 2, 3]
    assert payload["history"][-1]["steps"] == 4 and payload["config"]["settings"]["steps3"] == 4
    assert [f["path"] for f in payload["data"]["labelled"]["files"]] == sorted(split["train"])
    saved, trained = before["discriminator"], payload["discriminator"]
    changed = {name for name in saved if saved[name].is_floating_point() and not torch.equal(saved[name], trained[name])}
    assert any(n.startswith("trunk.") for n in changed) and any(n.startswith("evaluator.") for n in changed)
    assert not any(n.startswith(("classifier.", "source.")) for n in changed)  # frozen in phase 3
    assert all(torch.equal(before["generator"][n], payload["generator"][n]) for n in before["generator"])
    stamp = out.stat().st_mtime_ns
    assert train_fold(phase2, out, split_file, CLIVE, 4, CPU)["progress"] == payload["progress"]
    assert out.stat().st_mtime_ns == stamp  # finished: not trained again
    paths = {i: CLIVE / i for i in split["test"]}
    scores = score_images(payload, paths, CPU)
    metric = Gada()
    metric.load_payload(payload, CPU)
    assert [scores[i] for i in split["test"]] == metric.score_batch([load_image(paths[i]) for i in split["test"]])
    assert len(set(scores.values())) == 3
