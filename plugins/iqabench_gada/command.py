"""``iqabench train gada``: the command line of :func:`.train.train`. Defaults are the paper's (§4.2: 128-pixel
crops, batch 64, Adam 1e-4 / 5e-4, divided by 10 in phases 2 and 3; the paper's 64, 128, 128 and 1024
maps); ``--help`` says what the CPU recipe of the shipped checkpoint changes."""

from __future__ import annotations

from pathlib import Path

import click
from iqabench_training.command import training_command
from iqabench_training.progress import Shown

SPLITS = Path(__file__).parent / "splits"
CPU_HINT = ("On a CPU the paper's sizes are slow: --crop 64 --width 0.25 is the recipe of the shipped checkpoint "
            "(64-pixel crops are the paper's own §4.3 setting for its GADA-vs-direct comparison).")


def _phases(ctx, param, value: str) -> tuple[int, ...]:
    try:
        phases = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError:
        raise click.BadParameter(f"{value!r}: a comma-separated list of phases 1, 2, 3") from None
    if not phases or set(phases) - {1, 2, 3}:
        raise click.BadParameter(f"{value!r}: a comma-separated list of phases 1, 2, 3")
    return phases


@click.command(name="gada", help=f"Train GADA (Bongini et al.): AC-GAN, generative augmentation, fine-tuning. {CPU_HINT}")
@click.option("--fr", "full_reference", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Phases 1-2: a full-reference set in pyiqa meta-info layout (meta_info.csv: ref_name,dist_name,mos,"
                   "split[,kind]; mos higher-is-better on [0, 1]); its 'train' rows are trained on, its 'test' rows "
                   "validate after each phase.")
@click.option("--labelled", default=None,
              help="Phase 3: 'fr' (the --fr set's distorted images, the paper's protocol) or a dataset name (livec).")
@click.option("--labelled-root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The root of the --labelled dataset.")
@click.option("--split", "split_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSON with 'train' and 'test' lists of the --labelled dataset's sample ids; only 'train' is trained "
                   "on [default: the package's splits/<dataset>.json].")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("gada.pt"), show_default=True,
              help="Checkpoint to write; training resumes from it when it exists (finished phases are skipped).")
@click.option("--restart", is_flag=True, help="Start over even if --out exists.")
@click.option("--phases", default="1,2,3", show_default=True, callback=_phases, help="Which phases to run, in order.")
@click.option("--direct", is_flag=True, help="The paper's direct baseline (§4.3): no generator, no generated images.")
@click.option("--steps1", type=int, default=2000, show_default=True, help="Optimizer steps of phase 1 (AC-GAN).")
@click.option("--steps2", type=int, default=1000, show_default=True, help="Steps of phase 2 (generative augmentation).")
@click.option("--steps3", type=int, default=500, show_default=True, help="Steps of phase 3 (fine-tuning).")
@click.option("--crop", type=int, default=128, show_default=True, help="Crop side in pixels (a multiple of 8).")
@click.option("--batch", type=int, default=64, show_default=True)
@click.option("--width", type=float, default=1.0, show_default=True,
              help="Scale of every convolution's maps (1.0: the paper's 64, 128, 128, 1024).")
@click.option("--lr-discriminator", type=float, default=1e-4, show_default=True)
@click.option("--lr-other", type=float, default=5e-4, show_default=True, help="Generator, classifier and evaluator.")
@click.option("--l1-weight", type=float, default=100.0, show_default=True)
@click.option("--validation-limit", type=int, default=200, show_default=True,
              help="Held-out images of the --fr 'test' rows scored after each phase (0: none).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--threads", type=int, default=None, help="torch CPU threads [default: torch's].")
@click.option("--minutes", type=float, default=None, help="Stop (and save) after this many minutes.")
@click.option("--device", default=None, help="cpu, cuda, cuda:1 … [default: cuda when present]")
@training_command
def gada(full_reference, labelled, labelled_root, split_file, out, restart, phases, direct, steps1, steps2, steps3,
         crop, batch, width, lr_discriminator, lr_other, l1_weight, validation_limit, seed, threads, minutes,
         device) -> None:
    import torch
    from iqabench_training.progress import TrainingProgress

    from .data import FullReferenceSet, LabelledSet
    from .train import TrainSettings, train

    if crop % 8:
        raise click.BadParameter(f"{crop}: the crop side must be a multiple of 8", param_hint="--crop")
    if threads:
        torch.set_num_threads(threads)
    settings = TrainSettings(crop=crop, batch=batch, width=width, lr_discriminator=lr_discriminator, lr_other=lr_other,
                             l1_weight=l1_weight, steps1=steps1, steps2=steps2, steps3=steps3, augment=not direct,
                             seed=seed)

    def real():
        if labelled == "fr":
            if full_reference is None:
                raise ValueError("--labelled fr needs --fr")
            return LabelledSet.from_full_reference(FullReferenceSet(full_reference, "train"))
        if labelled_root is None:
            raise ValueError(f"--labelled {labelled} needs --labelled-root")
        split = split_file or SPLITS / f"{labelled}.json"
        if not split.is_file():
            raise ValueError(f"no split file for {labelled}: pass --split (JSON with 'train' and 'test' id lists)")
        return LabelledSet.from_dataset(labelled, labelled_root, split)

    def held_out():
        return LabelledSet.from_full_reference(FullReferenceSet(full_reference, "test", limit=validation_limit))

    with TrainingProgress("gada", shown) as progress:
        payload = train(settings, out, phases=phases, full_reference=full_reference,
                        labelled=real if labelled else None,
                        validation=held_out if full_reference is not None and validation_limit > 0 else None,
                        minutes=minutes, restart=restart, device=torch.device(device) if device else None,
                        progress=progress.update)
    for figures in payload["history"]:
        validation = figures.get("validation")
        click.echo(f"phase {figures['phase']}: {figures['steps']} steps, {figures['seconds']:.0f} s"
                   + (f", validation SRCC {validation['srcc']:.4f} PLCC {validation['plcc']:.4f} "
                      f"on {validation['images']} images" if validation else ""))
    click.echo(f"checkpoint: {out}")


#: the losses the progress display shows.
SHOWN = ("d_total", "g_l1", "d_quality", "quality")


def shown(state: dict, settings) -> Shown:
    """The progress display of a training state: phase, step within it and the main losses."""
    phase, steps = state["phase"], settings.steps(state["phase"])
    return Shown({"phase": phase, "step": f"{state['step']}/{steps}"},
                 {name: value for name, value in state.get("losses", {}).items() if name in SHOWN},
                 state["step"], steps, state["seconds"])


__all__ = ["gada", "shown"]
