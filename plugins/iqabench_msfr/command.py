"""``iqabench train msfr``: the command line of :func:`.train.train`. Defaults are the paper's (§II-B:
SGD, momentum 0.9, learning rate 1e-3, batch 128, weight decay 1e-7, 100 epochs; the full network)."""

from __future__ import annotations

from pathlib import Path

import click
from iqabench_training.command import training_command
from iqabench_training.progress import Shown

from .model import TABLE_II, VARIANTS


@click.command(name="msfr", help="Train msfr (Zhou & Chen, multi-scale full-reference network) on a full-reference "
                                 "meta-info folder: meta_info.csv with ref_name,dist_name,mos[,split]. Trains on "
                                 "split=train and reports SRCC/PLCC on split=test after every epoch; without a split "
                                 "column the references are split 80/20 with --seed.")
@click.option("--data", required=True, type=click.Path(exists=True, path_type=Path),
              help="A folder holding meta_info.csv (or the CSV itself); image names are relative to it.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("msfr.pt"), show_default=True,
              help="Checkpoint to write; training resumes from it when it exists.")
@click.option("--restart", is_flag=True, help="Start over even if --out exists.")
@click.option("--init", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Start a new run from this checkpoint's weights (fine-tuning; the same --variant).")
@click.option("--variant", type=click.Choice(VARIANTS), default="full", show_default=True,
              help="Table II: " + ", ".join(f"{key} = {value}" for key, value in TABLE_II.items()) + ".")
@click.option("--epochs", type=int, default=100, show_default=True)
@click.option("--batch", type=int, default=128, show_default=True, help="Patches per SGD step.")
@click.option("--learning-rate", type=float, default=1e-3, show_default=True)
@click.option("--momentum", type=float, default=0.9, show_default=True)
@click.option("--weight-decay", type=float, default=1e-7, show_default=True)
@click.option("--mos-range", type=(float, float), default=(0.0, 1.0), show_default=True,
              help="The labels' scale, mapped to [0, 1] (reversed, e.g. 100 0, for a DMOS).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--minutes", type=float, default=None, help="Stop (and save) after this many minutes.")
@click.option("--save-minutes", type=float, default=5.0, show_default=True, help="Save at least this often.")
@click.option("--threads", type=int, default=None, help="torch CPU threads [default: torch's choice].")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 … [default: cuda when present]")
@training_command
def msfr(data, out, restart, init, variant, epochs, batch, learning_rate, momentum, weight_decay, mos_range, seed,
         minutes, save_minutes, threads, device) -> None:
    import torch
    from iqabench_training.progress import TrainingProgress

    from .train import TrainSettings, train

    if threads is not None:
        torch.set_num_threads(threads)
    settings = TrainSettings(variant=variant, batch=batch, learning_rate=learning_rate, momentum=momentum,
                             weight_decay=weight_decay, epochs=epochs, mos_range=tuple(mos_range), seed=seed)
    with TrainingProgress(f"msfr {variant}", shown) as progress:
        payload = train(settings, data, out, minutes=minutes, save_minutes=save_minutes, restart=restart,
                        device=torch.device(device) if device else None, progress=progress.update, init=init)
    for figures in payload["history"]:
        stopped = f" (stopped after batch {figures['batch']})" if figures.get("partial") else ""
        click.echo("epoch {epoch}{stopped}: loss {loss:.5f}, test SRCC {srcc} PLCC {plcc} (logistic {plcc_logistic}) "
                   "on {images} images".format(stopped=stopped, **figures))
    click.echo(f"checkpoint: {out}")


def shown(state: dict, settings) -> Shown:
    """The progress display of a training state: epoch, batch within it, optimizer step and loss."""
    batches = state.get("epoch_batches")
    return Shown({"epoch": f"{min(state['epoch'] + 1, settings.epochs)}/{settings.epochs}",
                  "batch": f"{state['batch']}/{batches}", "step": state["steps"]},
                 {"loss": f"{state.get('loss', float('nan')):.5f}"}, state["batch"], batches, state["seconds"])


__all__ = ["msfr", "shown"]
