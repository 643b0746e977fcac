"""Plots beside the HTML page (matplotlib, Agg, PNG): each metric's scores against MOS with the fitted
logistic curve, and SRCC with its bootstrap interval per metric per dataset."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend
import numpy as np

from ..results import DatasetResults, MetricResult

_META = {"Software": None}


def scores_plot(result: DatasetResults, path: Path, title: str | None = None) -> None:
    """One panel per metric: its raw score against MOS, the fitted VQEG logistic, its SRCC and PLCC;
    ``title`` names the dataset (default: its name)."""
    rows = result.ranked()
    cols = min(len(rows), 3)
    nrows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    for ax, row in zip(axes.flat, rows):
        metric = result.evaluation.metric(row.name)
        scores, mos = result.arrays(row.name)
        ax.scatter(scores, mos, s=8, alpha=0.6, color="tab:blue", edgecolors="none")
        curve = _logistic_curve(result, row, scores)
        if curve is not None:
            ax.plot(*curve, color="tab:red", linewidth=1.5, label="VQEG logistic")
            ax.legend(fontsize=7, loc="best", frameon=False)
        direction = "lower is better" if row.lower_better else "higher is better"
        ax.set_xlabel(f"{row.name} ({direction})")
        ax.set_ylabel("DMOS" if result.card.lower_better else "MOS")
        ax.set_title(f"{row.name}: SRCC {metric.value('srcc'):+.3f}, PLCC {metric.value('plcc'):+.3f}, "
                     f"n = {row.scored}", fontsize=9)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle(f"{title or result.name}: score against MOS")
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata=_META)
    plt.close(fig)


def _logistic_curve(result: DatasetResults, row: MetricResult, scores: np.ndarray):
    """The fitted mapping drawn in the raw units of the score and the label (it was fitted on signed ones)."""
    fit = result.evaluation.metric(row.name).fit
    if fit is None or not fit.converged or scores.size == 0:
        return None
    grid = np.linspace(scores.min(), scores.max(), 200)
    mapped = fit.predict(-grid if row.lower_better else grid)
    return grid, -mapped if result.card.lower_better else mapped


def intervals_plot(results: list[DatasetResults], path: Path, titles: list[str] | None = None) -> None:
    """Signed SRCC with its bootstrap interval, per metric, one panel per dataset (titled by ``titles``,
    default: the datasets' names)."""
    titles = titles or [r.name for r in results]
    most = max(len(r.metrics) for r in results)
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 1.0 + 0.4 * most), squeeze=False)
    for ax, result, title in zip(axes.flat, results, titles):
        ranked = [result.evaluation.metric(r.name) for r in result.ranked()]
        for y, metric in enumerate(ranked):
            srcc = metric.intervals.get("srcc")
            if srcc is None or not math.isfinite(srcc.estimate):
                continue
            if math.isfinite(srcc.low):
                ax.plot([srcc.low, srcc.high], [y, y], color="tab:blue", linewidth=2)
            ax.plot(srcc.estimate, y, "o", color="tab:blue")
        ax.axvline(0, color="#999", linewidth=0.8)
        ax.set_yticks(range(len(ranked)), [m.name for m in ranked])
        ax.set_ylim(most - 0.5, -0.5)
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
        ax.set_xlabel(f"SRCC (signed), {results[0].evaluation.level:.0%} interval")
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata=_META)
    plt.close(fig)
