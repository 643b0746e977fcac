"""NIQE is scored one image per batch by default: pyiqa's NIQE holds about 0.5 KB per pixel of the batch it
is given, so eight stacked images made a run's peak memory 1.8 times that of a plain pyiqa loop. Scoring
them one at a time gives the same scores as stacking them (checked on real LIVE Challenge images)."""

import pytest
from shared_data import requires_shared, shared_file

from iqabench.metric import Metric
from iqabench_pyiqa.catalog import BATCH_SIZES
from iqabench_pyiqa.configs import default_configs
from iqabench_pyiqa.metric import metric_class

NIQE_FILE = "weights/pyiqa/niqe_modelparameters.mat"
IMAGES = "data/clive/Images"


def test_niqe_takes_one_image_per_batch_and_the_others_keep_the_default():
    assert metric_class("niqe", None).batch_size == 1 == BATCH_SIZES["niqe"]
    assert metric_class("brisque", None).batch_size == Metric.batch_size
    configs = default_configs()
    if configs is not None:
        assert metric_class("niqe", configs["niqe"]).batch_size == 1
        assert metric_class("psnr", configs["psnr"]).batch_size == Metric.batch_size


@requires_shared
@pytest.mark.skipif(default_configs() is None, reason="pyiqa is not installed")
def test_niqe_scores_the_same_stacked_and_one_at_a_time(monkeypatch, tmp_path):
    niqe_file, folder = shared_file(NIQE_FILE), shared_file(IMAGES)
    import torch

    from iqabench.images import load_image

    monkeypatch.setenv("IQABENCH_WEIGHTS_DIR", str(niqe_file.parents[1]))
    monkeypatch.setenv("IQABENCH_OFFLINE", "1")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    images = [load_image(path) for path in sorted(folder.iterdir())[:40]]
    shape = max({tuple(image.shape) for image in images}, key=[tuple(i.shape) for i in images].count)
    same = [image for image in images if tuple(image.shape) == shape][:4]
    assert len(same) >= 2
    niqe = metric_class("niqe", default_configs()["niqe"])()
    niqe.load(torch.device("cpu"))
    stacked = niqe.score_batch(same)  # one stacked batch: images of one shape
    single = [niqe.score_batch([image])[0] for image in same]
    assert stacked == single
