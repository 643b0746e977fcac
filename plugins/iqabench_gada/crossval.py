"""k-fold cross-validation of ``gada`` against ``gada-direct``, NIQE and BRISQUE on the LIVE Challenge images
present under ``--root``: every image is held out once, and all four metrics are judged on the same pooled
out-of-fold predictions, with paired bootstrap intervals (:func:`iqabench.stats.evaluate.evaluate`).

    python -m iqabench_gada.crossval --root ../shared/data/clive --gada gada-p2.pt --direct gada-direct-p2.pt \\
        --work cv/ --out results.json

For each fold and model, phase 3 alone (:func:`.train.train` with ``phases=(3,)``) fine-tunes a copy of
the given phase-2 checkpoint on the other folds; a fold already finished is skipped, one interrupted
resumes. Its held-out images are then scored as the metric scores them (:meth:`.metric.Gada.score_pixels`:
30 crops, fixed seed). NIQE and BRISQUE need no training: their score is their out-of-fold prediction,
computed through the harness into a score store under ``--work``. The folds are drawn once and kept in
``--folds`` (a committed JSON), so every model and variant is judged on the same ones.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from iqabench.hashing import file_sha256

from . import checkpoint
from .command import SPLITS

DATASET = "livec"
FOLDS_FILE = SPLITS / "livec-5fold.json"
#: the harness metrics scored beside the trained models, and the statistics reported.
BASELINES = ("niqe", "brisque")
REPORTED = ("srcc", "plcc", "pra")
WHAT = ("each image's prediction by the model fine-tuned without it (its fold held out); NIQE and BRISQUE need no "
        "training and are negated as lower-is-better; PLCC after the VQEG logistic; 95% percentile intervals of "
        "paired bootstrap resamples of the images; per-fold SRCC on each fold's held-out images, sd with ddof 1")


def make_folds(ids: Sequence[str], k: int, seed: int) -> dict:
    """``k`` folds of ``ids``: a ``numpy.random.default_rng(seed)`` permutation of the sorted ids, cut into
    ``k`` near-equal consecutive parts; each part sorted."""
    if not 2 <= k <= len(ids):
        raise ValueError(f"k must be between 2 and the {len(ids)} images, got {k}")
    ordered = sorted(ids)
    order = np.random.default_rng(seed).permutation(len(ordered))
    return {"dataset": DATASET, "k": k, "seed": seed, "images": len(ordered),
            "how": "numpy.random.default_rng(seed).permutation over the sorted ids, cut by numpy.array_split "
                   "into k consecutive parts; fold i holds out part i and trains on the others",
            "folds": [sorted(ordered[i] for i in part) for part in np.array_split(order, k)]}


def fold_split(folds: dict, index: int) -> dict:
    """The split file of fold ``index``: ``test`` its part, ``train`` every other part."""
    return {"dataset": folds["dataset"], "fold": index, "k": folds["k"],
            "train": sorted(i for j, part in enumerate(folds["folds"]) if j != index for i in part),
            "test": list(folds["folds"][index])}


def folds_for(path: Path, ids: Sequence[str], k: int, seed: int) -> dict:
    """The folds kept in ``path``, written there first when absent; refused if they hold other images."""
    if path.is_file():
        folds = json.loads(path.read_text())
        held = sorted(i for part in folds["folds"] for i in part)
        if held != sorted(ids):
            raise ValueError(f"{path} holds {len(held)} images, not the {len(ids)} present; delete it to draw "
                             "new folds (every model must then be judged again)")
        return folds
    folds = make_folds(ids, k, seed)
    path.write_text(json.dumps(folds, indent=1) + "\n")
    return folds


def phase3_seconds(payload: dict) -> float:
    """The training seconds of phase 3 alone, from a checkpoint's history (the clock runs over all phases)."""
    history = payload["history"]
    return round(history[-1]["seconds"] - history[-2]["seconds"], 1)


def train_fold(phase2: Path, out: Path, split_file: Path, root: Path, steps3: int, device, registry=None) -> dict:
    """Phase 3 of one fold: copy the finished phase-2 checkpoint to ``out`` and fine-tune it on the split's
    ``train`` images; a finished ``out`` is returned as it is, an unfinished one resumes."""
    from .data import LabelledSet
    from .train import TrainSettings, train

    if out.is_file():
        saved = checkpoint.load(out)
        if 3 in saved["progress"]["done"]:
            return saved
    else:
        saved = checkpoint.load(phase2)
        if sorted(saved["progress"]["done"]) != [1, 2]:
            raise ValueError(f"{phase2}: phases {saved['progress']['done']} done; a phase-2 checkpoint has 1 and 2")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(phase2, out)
    settings = TrainSettings(**{**saved["config"]["settings"], "steps3": steps3})
    return train(settings, out, phases=(3,), labelled=lambda: LabelledSet.from_dataset(DATASET, root, split_file, registry=registry),
                 device=device)


def score_images(payload: dict, paths: dict[str, Path], device) -> dict[str, float]:
    """Each image's score by the ``gada`` metric's own code (30 crops, fixed seed) with this checkpoint."""
    from .data import _pixels
    from .metric import Gada

    metric = Gada()
    metric.load_payload(payload, device)
    return {sample: metric.score_pixels(_pixels(path)) for sample, path in paths.items()}


def baseline_scores(root: Path, store: Path, names: Sequence[str] = BASELINES, registry=None) -> tuple[dict, dict, dict]:
    """(labels, scores by metric, lower_better by metric) of harness metrics on every image present,
    scored through :func:`iqabench.api.run` (only what the store lacks)."""
    from iqabench import api
    from iqabench.runner import RunOptions

    result = api.run(list(names), DATASET, root=root, store=store, resamples=1, registry=registry,
                     options=RunOptions(device="cpu", num_workers=0, allow_missing=True))
    results = result.results
    return (dict(results.labels), {n: dict(results.metric(n).scores) for n in names},
            {n: results.metric(n).lower_better for n in names})


def _interval(interval) -> dict:
    return {"estimate": round(interval.estimate, 4), "interval_95": [round(interval.low, 4), round(interval.high, 4)]}


def report(predictions: dict[str, dict[str, float]], lower_better: dict[str, bool], labels: dict[str, float],
           folds: dict, resamples: int = 10000, seed: int = 0) -> dict:
    """SRCC, PLCC (after the VQEG logistic) and PRA with 95% paired-bootstrap intervals on the pooled
    out-of-fold predictions, every paired difference, and each fold's SRCC (mean and sd over folds)."""
    from iqabench.stats import signed, srcc
    from iqabench.stats.evaluate import MetricScores, evaluate

    names = list(predictions)
    evaluation = evaluate([MetricScores(n, predictions[n], lower_better[n]) for n in names], labels,
                          resamples=resamples, seed=seed)
    metrics = {}
    for n in names:
        m = evaluation.metric(n)
        metrics[n] = {"images": m.n, **{key.upper(): _interval(m.intervals[key]) for key in REPORTED}}
    paired = []
    for c in evaluation.comparisons:
        row = {"A": c.a, "B": c.b, "n": c.n}
        for key in REPORTED:
            d = c.differences[key]
            row[key.upper()] = {"difference": _interval(d.interval), "p_bootstrap": round(d.p_value, 4)}
        row["SRCC"]["steiger_p"] = round(c.steiger_srcc.p_value, 4)
        paired.append(row)
    per_fold = {}
    for n in names:
        values = []
        for part in folds["folds"]:
            pred, truth = signed([predictions[n][i] for i in part], [labels[i] for i in part],
                                 lower_better=lower_better[n])
            values.append(round(float(srcc(pred, truth)), 4))
        per_fold[n] = {"srcc": values, "mean": round(float(np.mean(values)), 4),
                       "sd": round(float(np.std(values, ddof=1)), 4)}
    return {"what": WHAT, "images": len(labels), "resamples": resamples, "seed": seed, "metrics": metrics,
            "paired": paired, "per_fold_srcc": per_fold}


def crossvalidate(root: Path, phase2: dict[str, Path], work: Path, folds_file: Path = FOLDS_FILE, k: int = 5,
                  seed: int = 0, steps3: int = 700, device=None, resamples: int = 10000, store: Path | None = None,
                  log=print) -> dict:
    """Train phase 3 of every fold for each model of ``phase2`` (name -> phase-2 checkpoint), score each
    fold's held-out images, add NIQE and BRISQUE, and return :func:`report`'s figures with the per-fold
    training times and every out-of-fold prediction."""
    import torch

    from iqabench.dataset import open_dataset
    from iqabench.plugins import load_registry

    device = device or torch.device("cpu")
    registry = load_registry()  # once: the fold trainings and the baselines share it
    dataset = open_dataset(registry.dataset(DATASET), Path(root))
    paths = {s.id: s.path for s in dataset.samples}
    folds = folds_for(Path(folds_file), list(paths), k, seed)
    work.mkdir(parents=True, exist_ok=True)
    predictions = {name: {} for name in phase2}
    training = {name: [] for name in phase2}
    for index, part in enumerate(folds["folds"]):
        folder = work / f"fold{index}"
        folder.mkdir(exist_ok=True)
        split_file = folder / "split.json"
        split_file.write_text(json.dumps(fold_split(folds, index)) + "\n")
        for name, source in phase2.items():
            started = time.monotonic()
            payload = train_fold(Path(source), folder / f"{name}.pt", split_file, root, steps3, device, registry)
            scored = score_images(payload, {i: paths[i] for i in part}, device)
            predictions[name].update(scored)
            training[name].append({"fold": index, "phase3_seconds": phase3_seconds(payload),
                                   "wall_seconds_this_run": round(time.monotonic() - started, 1)})
            log(f"fold {index} {name}: phase 3 {training[name][-1]['phase3_seconds']:.0f} s, "
                f"{len(scored)} held-out images scored")
    labels, baselines, lower = baseline_scores(root, store or work / "scores.sqlite", registry=registry)
    labels = {i: labels[i] for i in paths}
    predictions.update(baselines)
    lower_better = {**{name: False for name in phase2}, **lower}
    figures = report(predictions, lower_better, labels, folds, resamples)
    fold_of = {i: f for f, part in enumerate(folds["folds"]) for i in part}
    rows = [{"id": i, "mos": labels[i], "fold": fold_of[i], **{n: round(predictions[n][i], 6) for n in predictions}}
            for i in sorted(labels)]
    return {**figures, "folds_file": Path(folds_file).name, "k": folds["k"], "fold_seed": folds["seed"],
            "steps3": steps3, "phase2": {name: Path(p).name for name, p in phase2.items()},
            "phase2_sha256": {name: file_sha256(Path(p)) for name, p in phase2.items()},
            "training": training, "predictions": rows}


def dumps(result: dict) -> str:
    """The result as JSON, one line per out-of-fold prediction."""
    head = json.dumps({key: value for key, value in result.items() if key != "predictions"}, indent=1)
    rows = ",\n  ".join(json.dumps(row) for row in result.get("predictions", []))
    return head[:-2] + f',\n "predictions": [\n  {rows}\n ]\n}}\n'


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m iqabench_gada.crossval", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, required=True, help="LIVE Challenge folder (the images present are used)")
    p.add_argument("--gada", type=Path, required=True, help="gada's phase-2 checkpoint (phases 1 and 2 done)")
    p.add_argument("--direct", type=Path, required=True, help="gada-direct's phase-2 checkpoint")
    p.add_argument("--work", type=Path, required=True, help="folder of the fold checkpoints and the score store")
    p.add_argument("--out", type=Path, required=True, help="JSON of the figures and the out-of-fold predictions")
    p.add_argument("--folds", type=Path, default=FOLDS_FILE, help="the folds' JSON, written when absent")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="seed of the folds")
    p.add_argument("--steps3", type=int, default=700, help="phase-3 steps per fold")
    p.add_argument("--resamples", type=int, default=10000)
    p.add_argument("--store", type=Path, default=None, help="score store of NIQE and BRISQUE [default: in --work]")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()  # of the training; the harness picks its own to score NIQE and BRISQUE
    started = time.monotonic()
    result = crossvalidate(args.root, {"gada": args.gada, "gada-direct": args.direct}, args.work, args.folds,
                           args.k, args.seed, args.steps3, torch.device(args.device), args.resamples, args.store,
                           log=lambda line: print(line, file=sys.stderr, flush=True))
    result.update(wall_minutes_this_run=round((time.monotonic() - started) / 60, 1), torch=torch.__version__,
                  training_threads=threads, device=args.device)
    args.out.write_text(dumps(result))
    for name, m in result["metrics"].items():
        fold = result["per_fold_srcc"][name]
        print(f"{name:12s} " + "  ".join(f"{key} {m[key]['estimate']:.3f} [{m[key]['interval_95'][0]:.3f}, "
                                          f"{m[key]['interval_95'][1]:.3f}]" for key in ("SRCC", "PLCC", "PRA"))
              + f"  folds SRCC {fold['mean']:.3f} ± {fold['sd']:.3f}")
    for row in result["paired"]:
        s = row["SRCC"]
        print(f"{row['A']} − {row['B']}: SRCC {s['difference']['estimate']:+.3f} "
              f"[{s['difference']['interval_95'][0]:+.3f}, {s['difference']['interval_95'][1]:+.3f}], "
              f"p {s['p_bootstrap']:.3f} (Steiger {s['steiger_p']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
