"""``iqabench train effres``: the command line of :func:`.train.train`. Defaults are the paper's
(ResNet50, 256-pixel patches, batch 4 accumulated to 512, PGD); ``--help`` says what the CPU recipe
changes."""

from __future__ import annotations

import math
from pathlib import Path

import click
from iqabench_training.command import training_command
from iqabench_training.progress import Shown

from .sharpness import AUTO

CPU_HINT = ("On a CPU, the paper's recipe takes days: --backbone resnet18 --patch 128 --batch 16 --accumulate 16 "
            "--learning-rate 1e-4 --attack fgsm --source-height 512 began the shipped checkpoint, which was then "
            "fine-tuned with --init on sharper faces at --source-height 256 with --loss l1, last at --source-height "
            "auto (its manifest lists every command).")


class SourceHeight(click.ParamType):
    """A height of at least 64 pixels, or ``auto`` (:func:`.sharpness.sharp_height` per face)."""

    name = "HEIGHT|auto"

    def convert(self, value, param, ctx):
        if value == AUTO or isinstance(value, int):
            return value
        try:
            height = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a height in pixels nor 'auto'", param, ctx)
        if height < 64:
            self.fail(f"{height} is below 64 pixels", param, ctx)
        return height


@click.command(name="effres", help=f"Train effres (Kansy et al.) on clean face images, self-supervised. {CPU_HINT}")
@click.option("--data", "data", multiple=True, required=True, type=click.Path(exists=True, path_type=Path),
              help="Clean face images: an image, a folder (searched recursively) or a .txt list of paths. Repeatable.")
@click.option("--val", "validation", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Held-out clean faces to validate on after each epoch (grouped SRCC/PRA). Repeatable.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("effres.pt"), show_default=True,
              help="Checkpoint to write; training resumes from it when it exists.")
@click.option("--restart", is_flag=True, help="Start over even if --out exists.")
@click.option("--backbone", type=click.Choice(["resnet18", "resnet34", "resnet50"]), default="resnet50",
              show_default=True)
@click.option("--patch", type=click.Choice(["128", "256"]), default="256", show_default=True)
@click.option("--batch", type=int, default=4, show_default=True, help="Patches per forward pass.")
@click.option("--accumulate", type=int, default=512, show_default=True, help="Patches per optimizer step.")
@click.option("--learning-rate", type=float, default=1e-3, show_default=True,
              help="Adam's initial rate (the paper's, with ImageNet weights and 512-patch steps); from scratch "
                   "with small steps it collapses to a constant output: use 1e-4.")
@click.option("--epochs", type=int, default=10, show_default=True)
@click.option("--epoch-patches", type=int, default=51200, show_default=True, help="Patches per epoch.")
@click.option("--attack", type=click.Choice(["pgd", "fgsm", "none"]), default="pgd", show_default=True,
              help="Adversarial steps: PGD (paper) or one FGSM step (faster, slightly worse).")
@click.option("--pgd-step", type=float, default=None, help="L2 step size [default: 30, or 15 with --patch 128].")
@click.option("--mask", type=click.Choice(["mediapipe", "bisenet", "none"]), default="mediapipe", show_default=True)
@click.option("--imagenet", type=click.Path(exists=True, dir_okay=False), default=None,
              help="torchvision ImageNet weights of the backbone to start from (the paper's pretraining).")
@click.option("--source-height", type=SourceHeight(), default=None,
              help="Downscale taller training and validation faces to this height first, so that their own "
                   "pixels are sharp (CelebA-HQ's 1024-px faces are upsampled); 'auto': each face to the largest "
                   "of 256, 384 and 512 px at which its spectrum keeps its top octave.")
@click.option("--init", "init", type=click.Path(exists=True, dir_okay=False), default=None,
              help="An effres checkpoint whose weights training starts from (fine-tuning).")
@click.option("--loss", type=click.Choice(["mape", "l1", "log-l1"]), default="mape", show_default=True,
              help="MAPE (the paper's), absolute error (l1) or absolute error of the logarithm plus l1 (log-l1): "
                   "the last two are not pulled towards small targets, as MAPE is.")
@click.option("--prescale-heights", type=(click.IntRange(min=16), click.IntRange(min=16)), default=None,
              help="Heights the prescale draws from [default: 256 2048, or 384 2048 with --patch 256]; heights "
                   "below --source-height keep the face sharp (target 1).")
@click.option("--downscale-probability", type=click.FloatRange(0, 1), default=None,
              help="Share of draws resampled down and up [default: 0.9]; the rest keep their prescale target.")
@click.option("--method-weight", "method_weights", multiple=True, metavar="METHOD=WEIGHT",
              help="Make a TensorFlow resampling method likelier (nearest=3); the others weigh 1. Repeatable.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Processes drawing samples.")
@click.option("--minutes", type=float, default=None, help="Stop (and save) after this many minutes.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 … [default: cuda when present]")
@training_command
def effres(data, validation, out, restart, backbone, patch, batch, accumulate, learning_rate, epochs, epoch_patches, attack,
           pgd_step, mask, imagenet, source_height, init, loss, prescale_heights, downscale_probability, method_weights,
           seed, workers, minutes, device) -> None:
    import torch
    from iqabench_training.progress import TrainingProgress

    from .train import TrainSettings, train

    settings = TrainSettings(backbone=backbone, patch=int(patch), batch=batch, accumulate=accumulate,
                             learning_rate=learning_rate,
                             epochs=epochs, epoch_patches=epoch_patches, attack=attack, pgd_step=pgd_step,
                             mask=mask, seed=seed, workers=workers, imagenet=imagenet, source_height=source_height,
                             init=str(Path(init).resolve()) if init else None, loss=loss,
                             recipe=recipe_overrides(prescale_heights, downscale_probability,
                                                     method_weights))
    with TrainingProgress("effres", shown) as progress:
        payload = train(settings, list(data), out, validation=list(validation), minutes=minutes,
                        restart=restart, device=torch.device(device) if device else None,
                        progress=progress.update, on_epoch=lambda figures: progress.say(epoch_line(figures)))
    click.echo("every epoch so far (resumed runs included):")
    for figures in payload["history"]:
        click.echo("  " + epoch_line(figures))
    click.echo(f"checkpoint: {out}")


def recipe_overrides(prescale_heights, downscale_probability, method_weights=()) -> dict:
    """The :class:`~.samples.SampleRecipe` values given on the command line (the others keep Table 1's)."""
    overrides = {}
    if method_weights:
        overrides["method_weights"] = dict(map(_method_weight, method_weights))
    if prescale_heights is not None:
        low, high = sorted(prescale_heights)
        overrides["prescale_heights"] = [low, high]
    if downscale_probability is not None:
        overrides["downscale_probability"] = downscale_probability
    return overrides


def _method_weight(text: str) -> tuple[str, float]:
    method, _, weight = text.partition("=")
    try:
        return method.strip(), float(weight)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not METHOD=WEIGHT (e.g. nearest=3)", param_hint="--method-weight") from None


def shown(state: dict, settings) -> Shown:
    """The progress display of a training state: epoch, optimizer step, patches and loss."""
    return Shown({"epoch": f"{min(state['epoch'] + 1, settings.epochs)}/{settings.epochs}", "step": state["steps"],
                  "patches": state["patches"]}, {"loss": state.get("loss", math.nan)},
                 state["patches"], settings.epochs * settings.epoch_patches, state["seconds"])


def epoch_line(figures: dict) -> str:
    """``epoch 3: loss 0.2816 val SRCC 0.8619 PRA 0.8571`` (no validation part when there was none)."""
    line = "epoch {epoch}: loss {loss:.4f}".format(**figures)
    return line + (" val SRCC {srcc:.4f} PRA {pra:.4f}".format(**figures) if "srcc" in figures else "")


__all__ = ["effres", "epoch_line", "recipe_overrides", "shown"]
