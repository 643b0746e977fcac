"""Plots beside the HTML page (matplotlib, Agg, PNG): scores against MOS, and SRCC per metric per dataset."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

from .build import DatasetResult

_META = {"Software": None}


def scores_plot(result: DatasetResult, path: Path) -> None:
    """One panel per metric: its raw score against MOS, titled with its signed SRCC."""
    rows = result.rows
    cols = min(len(rows), 3)
    nrows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    for ax, row in zip(axes.flat, result.ranked()):
        ax.scatter(row.scores, row.mos, s=8, alpha=0.6, color="tab:blue", edgecolors="none")
        direction = "lower is better" if row.lower_better else "higher is better"
        ax.set_xlabel(f"{row.metric} ({direction})")
        ax.set_ylabel("MOS")
        ax.set_title(f"{row.metric}: SRCC {row.statistics['SRCC']:+.3f}, n = {row.scored}", fontsize=10)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    fig.suptitle(f"{result.dataset.name}: score against MOS")
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata=_META)
    plt.close(fig)


def srcc_plot(results: list[DatasetResult], path: Path) -> None:
    """SRCC (signed) per metric, one panel per dataset."""
    most = max(len(r.rows) for r in results)
    fig, axes = plt.subplots(1, len(results), figsize=(4.5 * len(results), 1.0 + 0.4 * most), squeeze=False)
    for ax, result in zip(axes.flat, results):
        ranked = result.ranked()
        ax.plot([r.statistics["SRCC"] for r in ranked], range(len(ranked)), "o", color="tab:blue")
        ax.axvline(0, color="#999", linewidth=0.8)
        ax.set_yticks(range(len(ranked)), [r.metric for r in ranked])
        ax.set_ylim(most - 0.5, -0.5)
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1])
        ax.set_xlabel("SRCC (signed)")
        ax.set_title(result.dataset.name, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata=_META)
    plt.close(fig)
