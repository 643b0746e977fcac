"""Parameters and FLOPs of the model at 512 px beside Table VI's 240.75 GFLOPs
(``iqabench train gfiqa-prior --flops``, or ``python -m iqabench_gfiqa_prior.flops``).

Counted with ``torch.utils.flop_counter.FlopCounterMode`` on the meta device (shapes only: no weights, no
memory, no time): it counts convolutions and matrix products, a multiply-add as 2 FLOPs, and nothing else
(activations, normalisations, the blur of the generator's upsampling are elementwise and left out).
"""

from __future__ import annotations

import torch

from .model import GfiqaPrior, ModelConfig

PAPER_GFLOPS = 240.75


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def parameters(model: GfiqaPrior) -> dict[str, int]:
    counts = {}
    if model.encoder is not None:
        counts["encoder: ResNet50"] = _count(model.encoder.backbone)
        counts["encoder: map2style"] = _count(model.encoder.map2style)
        counts["generator: mapping network"] = _count(model.generator.style_mlp)
        counts["generator: synthesis"] = _count(model.generator) - _count(model.generator.style_mlp)
    else:
        counts["ResNet50"] = _count(model.backbone)
    counts["predictor"] = _count(model.predictor)
    counts["total"] = _count(model)
    counts["trained (encoder and predictor)"] = sum(p.numel() for p in model.trainable())
    return counts


def flops(model: GfiqaPrior, size: int, reconstruct: bool = False, all_codes: bool = False) -> dict[str, int]:
    """FLOPs of one image's forward pass, per part. ``all_codes``: run every code's map2style block, even those
    Eq. 4 discards; ``reconstruct``: also the training-time reconstruction with all codes (Eq. 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False, depth=2)
    images = torch.zeros(1, 3, size, size, device="meta")
    with counter, torch.no_grad():
        model(images, reconstruct=reconstruct, all_codes=all_codes)
    per_module = {name: sum(counts.values()) for name, counts in counter.get_flop_counts().items()}
    root = type(model).__name__
    parts = {"encoder": per_module.get(f"{root}.encoder", 0) + per_module.get(f"{root}.backbone", 0),
             "generator": per_module.get(f"{root}.generator", 0), "predictor": per_module.get(f"{root}.predictor", 0)}
    parts["total"] = sum(parts.values())
    return parts


def _model(config: ModelConfig) -> GfiqaPrior:
    with torch.device("meta"):
        return GfiqaPrior(config).eval()


def report(config: ModelConfig | None = None) -> str:
    from dataclasses import replace

    config = config or ModelConfig()
    model = _model(config)
    counts = parameters(model)
    lines = [f"gfiqa-prior at {config.size} px, K = {config.k}, variant {config.variant}", "", "parameters:"]
    lines += [f"  {name:<34} {value / 1e6:9.2f} M" for name, value in counts.items()]
    lines += ["", "GFLOPs per image (FlopCounterMode: a multiply-add = 2 FLOPs; elementwise operations not counted):"]

    def line(parts: dict, title: str) -> None:
        detail = ", ".join(f"{name} {value / 1e9:.2f}" for name, value in parts.items() if name != "total")
        lines.append(f"  {parts['total'] / 1e9:8.2f}  {title}\n            ({detail})")

    scoring = flops(model, config.size)
    line(scoring, "scoring an image, as the metric does (the blocks of the codes Eq. 4 discards do not run)")
    if not config.uses_generator:
        return "\n".join(lines)
    every = flops(model, config.size, all_codes=True)
    line(every, f"the same with the map2style blocks of all {config.num_latent} codes")
    training = flops(model, config.size, reconstruct=True)
    line(training, "a training forward pass (adds the reconstruction with all codes, Eq. 2)")
    grouped = flops(_model(replace(config, blocks_per_group=1)), config.size, all_codes=True)
    line(grouped, "one map2style block per generator stage instead of one per code, all codes")
    g = lambda parts: parts["total"] / 1e9  # noqa: E731
    lines += ["", f"Table VI (paper): {PAPER_GFLOPS} GFLOPs. Here: {g(scoring):.2f} GFLOPs "
                  f"({g(scoring) / 2:.2f} G multiply-adds) to score an image.",
              EXPLANATION.format(macs=g(scoring) / 2, every=g(every), training=g(training),
                                 saved=g(every) - g(grouped))]
    return "\n".join(lines)


EXPLANATION = """\
Why they differ: the paper does not say how it counted. Its 240.75 is not the multiply-adds of
this scoring pass ({macs:.1f} G). It is close to this model's FLOPs when every map2style block runs
({every:.1f}, plus the elementwise work FlopCounterMode leaves out) and to a pass that also
reconstructs the image with all codes ({training:.1f}, as in training). The paper leaves open parts
that move the count: one map2style block per code (pSp's design; one block per generator stage would
save {saved:.1f} GFLOPs), γ and β of Eq. 5 as 3x3 convolutions on 1024 channels, the 1x1
convolution bringing the ResNet's stage 4 to 1024 channels."""


def main() -> None:
    print(report())


if __name__ == "__main__":
    main()


__all__ = ["PAPER_GFLOPS", "flops", "parameters", "report"]
