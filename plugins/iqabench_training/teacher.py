"""A teacher label for a synthetic full-reference set: the mean of rank-normalised full-reference measures,
each computed by the harness and kept in a score store beside the set (so it is cached, resumable and
reproducible, and ``iqabench export --store`` shows every per-image score).

``python -m iqabench_training.teacher --root SET [--labels meta_info_test.csv] [--measure pyiqa:fsim ...]``
scores the images a meta-info file lists (an unlabelled one, as :mod:`.kadid_like` writes) with each
measure, then writes ``meta_info_teacher[_PART].csv``: the same rows with ``mos`` = the teacher, on [0, 1],
higher is better. Each measure's scores are ranked over the scored rows (lower-is-better measures
reversed; ties share their mean rank) and mapped to [0, 1]; the teacher is their mean, a Borda count. A
rank mean is used because the measures' scales differ and are not linear in quality (VIF and MS-SSIM
crowd near 1, GMSD near 0). Its values depend on which rows were scored together: a label file and its
teacher go together. A row that a measure failed on is left out and counted.

The default teacher is FSIM and GMSD, chosen because (a) their pyiqa ports, run by this harness, give the
official outputs on the five TID2013 pairs of the test data to within 2e-4 (pyiqa's VSI is up to 0.013 away
and orders two of the five pairs the other way round; MS-SSIM is up to 0.005 away); (b) in published
comparisons on human-labelled full-reference sets they are the strongest measures that need no weights, ahead
of MS-SSIM, VIF and SSIM; (c) neither is SSIM or MS-SSIM, the measures a student trained on the label is
compared with. :func:`agreement` gives the figures that compare the measures on a scored set (docs/models/msfr.md reports them).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

DEFAULT_MEASURES = ("pyiqa:fsim", "pyiqa:gmsd")
STORE_NAME = "teacher-scores.sqlite"
DATASET = "metainfo"


@dataclass(frozen=True)
class Scored:
    """The rows of a label file and every measure's score of each (NaN where it failed)."""

    rows: list[dict]
    scores: dict[str, np.ndarray]
    lower_better: dict[str, bool]
    failed: dict[str, int]


def read_rows(labels: Path) -> list[dict]:
    with open(labels, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def score(root: Path, labels: Path, measures: tuple[str, ...], store: Path, progress=None) -> Scored:
    """Score every row of ``labels`` with each measure through the harness (only what ``store`` lacks)."""
    from iqabench import api
    from iqabench.plugins import load_registry
    from iqabench.store import ScoreStore

    registry = load_registry()
    unknown = [m for m in measures if m not in registry.metrics]
    if unknown:
        raise ValueError(f"unknown measure(s) {', '.join(unknown)}; `iqabench list metrics` names them")
    api.run(list(measures), DATASET, root=root, labels=labels, store=store, registry=registry, progress=progress)
    rows = read_rows(labels)
    with ScoreStore(store, readonly=True) as opened:
        scores, failed = {}, {}
        for measure in measures:
            latest = {}
            for row in opened.per_image(measure, DATASET):  # ordered by sample; keep each sample's latest row
                if row["sample_id"] not in latest or row["created_at"] >= latest[row["sample_id"]]["created_at"]:
                    latest[row["sample_id"]] = row
            values = np.array([_value(latest.get(row["dist_name"])) for row in rows])
            scores[measure], failed[measure] = values, int(np.isnan(values).sum())
    return Scored(rows, scores, {m: bool(registry.metrics[m].lower_better) for m in measures}, failed)


def _value(row: dict | None) -> float:
    return float(row["score"]) if row is not None and row["score"] is not None and not row["error"] else float("nan")


def rank_normalised(values: np.ndarray, lower_better: bool) -> np.ndarray:
    """Ranks of ``values`` mapped to [0, 1], 1 the best (mean ranks for ties)."""
    ranks = rankdata(-values if lower_better else values)
    return (ranks - 1) / max(len(values) - 1, 1)


def teacher(scored: Scored, measures: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The teacher of every row every measure scored, and the mask of those rows."""
    kept = np.all([np.isfinite(scored.scores[m]) for m in measures], axis=0)
    label = np.mean([rank_normalised(scored.scores[m][kept], scored.lower_better[m]) for m in measures], axis=0)
    return label, kept


def level_order_accuracy(values: np.ndarray, rows: list[dict], lower_better: bool) -> float:
    """The share of pairs of one reference and one kind at different levels ranked as their levels are
    (a more severe level is worse): the one ordering this set knows without people."""
    signed = -values if lower_better else values
    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for row, value in zip(rows, signed):
        if np.isfinite(value):
            series.setdefault((row["ref_name"], row["kind"]), []).append((int(row["level"]), value))
    right = total = 0
    for points in series.values():
        for (level_a, a), (level_b, b) in combinations(points, 2):
            if level_a != level_b:
                total += 1
                right += (a > b) == (level_a < level_b) if a != b else 0.5
    return right / total if total else float("nan")


def agreement(scored: Scored, measures: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Per measure: its level-order accuracy, and its SRCC with the teacher of the *other* measures (the
    consensus it would be judged against), on the rows every measure scored."""
    from iqabench.stats import srcc

    kept = np.all([np.isfinite(scored.scores[m]) for m in scored.scores], axis=0)
    rows = [row for row, keep in zip(scored.rows, kept) if keep]
    figures = {}
    for measure in scored.scores:
        values = scored.scores[measure][kept]
        others = tuple(m for m in measures if m != measure)
        signed = -values if scored.lower_better[measure] else values
        consensus = (np.mean([rank_normalised(scored.scores[m][kept], scored.lower_better[m]) for m in others], axis=0)
                     if others else None)
        figures[measure] = {"level_order_accuracy": level_order_accuracy(values, rows, scored.lower_better[measure]),
                            "srcc_with_teacher_of_others": None if consensus is None else float(srcc(signed, consensus))}
    return figures


def write(scored: Scored, measures: tuple[str, ...], out: Path) -> int:
    """Write the rows with the teacher as ``mos``; returns the number of rows left out (a measure failed)."""
    label, kept = teacher(scored, measures)
    rows = [dict(row, mos=f"{value:.6f}") for row, value in zip((r for r, k in zip(scored.rows, kept) if k), label)]
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, list(scored.rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return int((~kept).sum())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m iqabench_training.teacher", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="The set's folder (images relative to it).")
    parser.add_argument("--labels", default="meta_info.csv",
                        help="The meta-info file to label, relative to --root (default meta_info.csv).")
    parser.add_argument("--measure", action="append", default=[],
                        help=f"A full-reference metric of the teacher (repeatable; default {', '.join(DEFAULT_MEASURES)}).")
    parser.add_argument("--compare", action="append", default=[],
                        help="Another measure to score and report beside the teacher's (repeatable); not in the label.")
    parser.add_argument("--store", type=Path, default=None, help=f"Score store (default <root>/{STORE_NAME}).")
    args = parser.parse_args(argv)
    measures = tuple(args.measure) or DEFAULT_MEASURES
    labels = args.root / args.labels
    if not labels.is_file():
        parser.error(f"{labels} does not exist; build the set first (python -m iqabench_training.kadid_like)")
    store = args.store or args.root / STORE_NAME
    everything = measures + tuple(m for m in args.compare if m not in measures)
    print(f"scoring {labels} with {', '.join(everything)} into {store} (what it holds already is reused)", flush=True)
    scored = score(args.root, labels, everything, store)
    part = labels.stem.removeprefix("meta_info")
    out = args.root / f"meta_info_teacher{part}.csv"
    left_out = write(scored, measures, out)
    figures = {"measures": list(measures), "labels": args.labels, "rows": len(scored.rows), "left_out": left_out,
               "failed": scored.failed, "agreement": agreement(scored, measures)}
    (args.root / f"teacher{part}.json").write_text(json.dumps(figures, indent=1) + "\n")
    print(f"{len(scored.rows) - left_out} rows labelled in {out}; {left_out} left out (a measure failed on them)")
    print("measure                      level-order accuracy   SRCC with the teacher of the others")
    for measure, values in figures["agreement"].items():
        with_others = values["srcc_with_teacher_of_others"]
        print(f"{measure:<28} {values['level_order_accuracy']:>20.4f}   "
              + ("      —" if with_others is None else f"{with_others:>10.4f}"))


if __name__ == "__main__":
    main()
