"""evaluate(): one dataset's statistics with intervals, grouped results and pairwise comparisons, from
scores keyed by sample id (as the runner and the store hold them)."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from iqabench.stats import bootstrap, grouped, srcc
from iqabench.stats.evaluate import MetricScores, evaluate


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 300
    ids = [f"img{i:03d}" for i in range(n)]
    mos = rng.normal(50, 15, n)
    good = mos + rng.normal(0, 8, n)
    poor = mos + rng.normal(0, 25, n)
    return ids, mos, good, poor


def test_directions_are_applied_once_and_statistics_match_the_core(data):
    """A lower-is-better metric is negated (its SRCC is positive when it agrees), DMOS labels too; the
    point estimates are those of the core functions on the signed arrays."""
    ids, mos, good, _ = data
    labels = dict(zip(ids, mos))
    flipped = MetricScores("distance", dict(zip(ids, -good)), lower_better=True)
    result = evaluate([flipped], labels, resamples=200)
    srcc_interval = result.metric("distance").intervals["srcc"]
    assert srcc_interval.estimate == pytest.approx(sps.spearmanr(good, mos).statistic, abs=1e-12)
    assert srcc_interval.low < srcc_interval.estimate < srcc_interval.high
    dmos = evaluate([MetricScores("m", dict(zip(ids, good)))], dict(zip(ids, -mos)), labels_lower_better=True,
                    resamples=50)
    assert dmos.metric("m").value("srcc") == pytest.approx(srcc_interval.estimate, abs=1e-12)
    wrong = evaluate([MetricScores("m", dict(zip(ids, -good)))], labels, resamples=50)
    assert wrong.metric("m").value("srcc") < 0 and wrong.metric("m").value("plcc") < 0  # no abs()


def test_each_metric_uses_its_own_samples_and_a_comparison_the_common_ones(data):
    """A metric that failed on some images is evaluated on the rest; the pair on the images both scored,
    with the same numbers as a paired bootstrap of those images."""
    ids, mos, good, poor = data
    labels = dict(zip(ids, mos))
    partial = {i: s for i, s in zip(ids, poor) if not i.endswith("7")}
    result = evaluate([MetricScores("good", dict(zip(ids, good))), MetricScores("poor", partial)], labels,
                      resamples=300, seed=3)
    assert result.metric("good").n == 300 and result.metric("poor").n == 270
    comparison, sign = result.comparison("good", "poor")
    assert comparison.n == 270 and sign == 1
    keep = [k for k, i in enumerate(ids) if i in partial]
    boot = bootstrap(np.stack([good[keep], poor[keep]]), mos[keep], names=["good", "poor"], resamples=300, seed=3)
    expected = boot.difference("good", "poor", "srcc")
    assert comparison.differences["srcc"] == expected
    assert expected.p_value < 0.01 and expected.interval.low > 0
    assert comparison.steiger_srcc.p_value < 0.01 and comparison.williams_plcc.p_value < 0.01
    assert result.comparison("poor", "good")[1] == -1
    assert [m.name for m in result.ranked()] == ["good", "poor"]
    assert result.tied_with_best() == {"good"}


def test_grouped_results_resample_whole_groups(data):
    ids, mos, good, _ = data
    groups = {i: f"ref{k % 30}" for k, i in enumerate(ids)}
    result = evaluate([MetricScores("good", dict(zip(ids, good)))], dict(zip(ids, mos)), groups=groups,
                      group_by="reference", resamples=200)
    metric = result.metric("good")
    reference = grouped(good, mos, [groups[i] for i in ids])
    assert metric.groups == 30 and metric.groups_skipped == 0
    interval = metric.intervals["srcc/reference"]
    assert interval.estimate == pytest.approx(reference.values["srcc"], abs=1e-12)
    assert interval.low <= interval.estimate <= interval.high


def test_undefined_statistics_are_explained_not_invented(data):
    """Constant scores: no number, and a note that says why; the other metric is unaffected."""
    ids, mos, good, _ = data
    labels = dict(zip(ids, mos))
    result = evaluate([MetricScores("flat", {i: 1.0 for i in ids}), MetricScores("good", dict(zip(ids, good)))],
                      labels, resamples=50)
    flat = result.metric("flat")
    assert math.isnan(flat.value("srcc")) and "the scores are constant" in " ".join(flat.notes)
    assert result.comparison("flat", "good")[0].differences == {}
    assert [m.name for m in result.ranked()] == ["good", "flat"]
    assert result.metric("good").value("srcc") == pytest.approx(srcc(good, mos))


def test_samples_without_labels_are_ignored(data):
    ids, mos, good, _ = data
    labels = {i: (m if k % 2 else None) for k, (i, m) in enumerate(zip(ids, mos))}
    result = evaluate([MetricScores("good", dict(zip(ids, good)))], labels, resamples=20)
    assert result.metric("good").n == 150


def test_the_tables_label_exactly_the_statistics_evaluated():
    from iqabench import tables
    from iqabench.stats import evaluate as evaluation

    assert tuple(tables.LABELS) == evaluation.EVALUATED
    assert tuple(tables.GROUPED_LABELS) == evaluation.EVALUATED_PER_GROUP
