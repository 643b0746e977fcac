"""StyleGAN2's generator (Karras et al. 2020) in plain PyTorch: the frozen prior of §IV-A (Eqs. 2 and 4).

Its module and parameter names are those of BasicSR's ``StyleGAN2Generator`` (``basicsr/archs/stylegan2_arch.py``),
the network GFPGAN trained ``StyleGAN2_512_Cmul1_FFHQ_B12G4_scratch_800k.pth`` with (GFPGAN's
``options/train_gfpgan_v1.yml``: out_size 512, channel_multiplier 1, num_mlp 8, lr_mlp 0.01), so that file's
``params_ema`` loads with ``strict=True`` (:mod:`.gfpgan_weights`). BasicSR runs two custom CUDA ops; here
they are computed with ordinary PyTorch operations, giving the same numbers on any device:

* ``fused_leaky_relu(x, b)`` = ``leaky_relu(x + b, 0.2) · √2`` (bias per channel, gain √2);
* ``upfirdn2d`` (upsample by zero insertion, pad, FIR filter, downsample) as a depthwise convolution with the
  flipped kernel, like rosinality's ``upfirdn2d_native``.

Equalised learning rate: each weight is multiplied at run time by 1/√fan_in (times ``lr_mul`` for the mapping
network's layers, whose biases are multiplied by ``lr_mul`` too). The blur kernels are buffers that are not
saved (BasicSR keeps them as plain attributes, so the file has none).

Table I (§V) groups the generator's eight levels (4, 8, …, 512 pixels) in pairs; :meth:`Generator.forward`
returns every level's features, and :func:`stage_features` picks the last feature map of each pair.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

BLUR = (1, 3, 3, 1)


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, negative_slope: float = 0.2,
                     scale: float = math.sqrt(2)) -> torch.Tensor:
    """BasicSR's fused bias + leaky ReLU + gain, without the CUDA op."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return F.leaky_relu(x + bias.view(shape), negative_slope) * scale


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1,
              pad: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Upsample (zero insertion), pad (``pad`` on both axes; negative crops), filter with ``kernel``, downsample:
    BasicSR's ``upfirdn2d(x, kernel, up, down, pad)`` in plain PyTorch."""
    batch, channels, height, width = x.shape
    if up > 1:
        spread = x.new_zeros(batch, channels, height * up, width * up)
        spread[:, :, ::up, ::up] = x
        x = spread
    before, after = pad
    x = F.pad(x, [max(before, 0), max(after, 0), max(before, 0), max(after, 0)])
    if before < 0 or after < 0:
        x = x[:, :, max(-before, 0): x.shape[2] - max(-after, 0), max(-before, 0): x.shape[3] - max(-after, 0)]
    weight = torch.flip(kernel, [0, 1]).to(x.dtype).expand(channels, 1, *kernel.shape)
    x = F.conv2d(x, weight, groups=channels)
    return x[:, :, ::down, ::down] if down > 1 else x


def resample_kernel(taps=BLUR) -> torch.Tensor:
    kernel = torch.tensor(taps, dtype=torch.float32)
    kernel = kernel[None, :] * kernel[:, None]
    return kernel / kernel.sum()


class NormStyleCode(nn.Module):
    """Pixel norm of the mapping network's input z."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x ** 2, dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Equalised linear layer; ``activation="fused_lrelu"`` adds the bias inside the fused leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, bias_init_val: float = 0.0,
                 lr_mul: float = 1.0, activation: str | None = None) -> None:
        super().__init__()
        self.lr_mul = lr_mul
        self.activation = activation
        self.scale = lr_mul / math.sqrt(in_channels)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels).div_(lr_mul))
        self.bias = nn.Parameter(torch.full((out_channels,), float(bias_init_val))) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = None if self.bias is None else self.bias * self.lr_mul
        if self.activation == "fused_lrelu":
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), bias)
        return F.linear(x, self.weight * self.scale, bias)


class UpFirDnUpsample(nn.Module):
    """×2 upsampling of the skip (RGB) path: zero insertion and the blur kernel ×4."""

    def __init__(self, taps=BLUR, factor: int = 2) -> None:
        super().__init__()
        self.register_buffer("kernel", resample_kernel(taps) * factor ** 2, persistent=False)
        self.factor = factor
        pad = self.kernel.shape[0] - factor
        self.pad = ((pad + 1) // 2 + factor - 1, pad // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class UpFirDnSmooth(nn.Module):
    """The blur after a transposed (upsampling) convolution."""

    def __init__(self, taps=BLUR, upsample_factor: int = 2, kernel_size: int = 3) -> None:
        super().__init__()
        self.register_buffer("kernel", resample_kernel(taps) * upsample_factor ** 2, persistent=False)
        pad = (self.kernel.shape[0] - upsample_factor) - (kernel_size - 1)
        self.pad = ((pad + 1) // 2 + upsample_factor - 1, pad // 2 + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class ModulatedConv2d(nn.Module):
    """Weight modulation by the style, demodulation, and a grouped convolution (one group per image)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, num_style_feat: int,
                 demodulate: bool = True, upsample: bool = False, eps: float = 1e-8) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.upsample, self.eps = demodulate, upsample, eps
        if upsample:
            self.smooth = UpFirDnSmooth(BLUR, 2, kernel_size)
        self.scale = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.modulation = EqualLinear(num_style_feat, in_channels, bias=True, bias_init_val=1.0)
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.padding = kernel_size // 2

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        style = self.modulation(style).view(b, 1, c, 1, 1)
        weight = self.scale * self.weight * style
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + self.eps).view(b, self.out_channels, 1, 1, 1)
        k = self.kernel_size
        x = x.reshape(1, b * c, h, w)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(b * c, self.out_channels, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=b)
            return self.smooth(out.view(b, self.out_channels, *out.shape[2:]))
        out = F.conv2d(x, weight.reshape(b * self.out_channels, c, k, k), padding=self.padding, groups=b)
        return out.view(b, self.out_channels, *out.shape[2:])


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


class StyleConv(nn.Module):
    """Modulated 3×3 convolution, noise injection (``weight`` is the noise strength), fused leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, num_style_feat: int, upsample: bool = False) -> None:
        super().__init__()
        self.modulated_conv = ModulatedConv2d(in_channels, out_channels, 3, num_style_feat, upsample=upsample)
        self.weight = nn.Parameter(torch.zeros(1))
        self.activate = FusedLeakyReLU(out_channels)

    def forward(self, x: torch.Tensor, style: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        out = self.modulated_conv(x, style)
        if noise is None:
            noise = out.new_empty(out.shape[0], 1, *out.shape[2:]).normal_()
        return self.activate(out + self.weight * noise)


class ToRGB(nn.Module):
    def __init__(self, in_channels: int, num_style_feat: int, upsample: bool = True) -> None:
        super().__init__()
        self.upsample = UpFirDnUpsample(BLUR, 2) if upsample else None
        self.modulated_conv = ModulatedConv2d(in_channels, 3, 1, num_style_feat, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x: torch.Tensor, style: torch.Tensor, skip: torch.Tensor | None = None) -> torch.Tensor:
        out = self.modulated_conv(x, style) + self.bias
        if skip is not None:
            out = out + (self.upsample(skip) if self.upsample is not None else skip)
        return out


class ConstantInput(nn.Module):
    def __init__(self, channels: int, size: int = 4) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.weight.expand(batch, -1, -1, -1)


def channel_table(channel_multiplier: float = 1, narrow: float = 1.0) -> dict[int, int]:
    """Feature maps per resolution (BasicSR's table; ``narrow`` < 1 only for tests)."""
    base = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256 * channel_multiplier, 128: 128 * channel_multiplier,
            256: 64 * channel_multiplier, 512: 32 * channel_multiplier, 1024: 16 * channel_multiplier}
    return {size: max(1, int(count * narrow)) for size, count in base.items()}


class Generator(nn.Module):
    """StyleGAN2 generator fed with W+ codes (``input_is_latent``, as pSp and GFPGAN feed it).

    ``forward(latents)`` takes (B, num_latent, style_dim) codes and returns the RGB image in [-1, 1] (roughly)
    and the features of every level (4 × 4 after ``style_conv1``, then after each level's second convolution).
    ``noise="const"`` uses the stored noise buffers (deterministic scores), ``"random"`` draws new noise.
    """

    def __init__(self, out_size: int = 512, num_style_feat: int = 512, num_mlp: int = 8,
                 channel_multiplier: float = 1, lr_mlp: float = 0.01, narrow: float = 1.0) -> None:
        super().__init__()
        self.out_size, self.num_style_feat = out_size, num_style_feat
        self.style_mlp = nn.Sequential(NormStyleCode(), *[
            EqualLinear(num_style_feat, num_style_feat, lr_mul=lr_mlp, activation="fused_lrelu")
            for _ in range(num_mlp)])
        channels = channel_table(channel_multiplier, narrow)
        self.channels = channels
        self.constant_input = ConstantInput(channels[4])
        self.style_conv1 = StyleConv(channels[4], channels[4], num_style_feat)
        self.to_rgb1 = ToRGB(channels[4], num_style_feat, upsample=False)
        self.log_size = int(math.log2(out_size))
        if 2 ** self.log_size != out_size or out_size < 8:
            raise ValueError(f"out_size {out_size}: a power of two, at least 8")
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.num_latent = self.log_size * 2 - 2
        self.style_convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        for index in range(self.num_layers):
            resolution = 2 ** ((index + 5) // 2)
            self.noises.register_buffer(f"noise{index}", torch.randn(1, 1, resolution, resolution))
        in_channels = channels[4]
        for level in range(3, self.log_size + 1):
            out_channels = channels[2 ** level]
            self.style_convs.append(StyleConv(in_channels, out_channels, num_style_feat, upsample=True))
            self.style_convs.append(StyleConv(out_channels, out_channels, num_style_feat))
            self.to_rgbs.append(ToRGB(out_channels, num_style_feat))
            in_channels = out_channels

    @property
    def levels(self) -> list[int]:
        """The resolution of each level: 4, 8, …, out_size."""
        return [2 ** level for level in range(2, self.log_size + 1)]

    def forward(self, latents: torch.Tensor, noise: str = "const") -> tuple[torch.Tensor, list[torch.Tensor]]:
        if latents.ndim != 3 or latents.shape[1] != self.num_latent:
            raise ValueError(f"latents of shape {tuple(latents.shape)}: (batch, {self.num_latent}, "
                             f"{self.num_style_feat}) expected")
        noises = ([getattr(self.noises, f"noise{i}") for i in range(self.num_layers)] if noise == "const"
                  else [None] * self.num_layers)
        out = self.constant_input(latents.shape[0])
        out = self.style_conv1(out, latents[:, 0], noises[0])
        features = [out]
        skip = self.to_rgb1(out, latents[:, 1])
        i = 1
        for conv1, conv2, noise1, noise2, to_rgb in zip(self.style_convs[::2], self.style_convs[1::2],
                                                        noises[1::2], noises[2::2], self.to_rgbs):
            out = conv1(out, latents[:, i], noise1)
            out = conv2(out, latents[:, i + 1], noise2)
            features.append(out)
            skip = to_rgb(out, latents[:, i + 2], skip)
            i += 2
        return skip, features

    @torch.no_grad()
    def mean_latent(self, samples: int = 100_000, seed: int = 0, chunk: int = 10_000) -> torch.Tensor:
        """The average latent w̄ of Eq. 2: the mapping network's mean over ``samples`` z ~ N(0, I) (pSp uses 10⁵),
        drawn on the CPU with a fixed seed so that it is the same on every machine. Shape (1, style_dim)."""
        device = self.constant_input.weight.device
        generator = torch.Generator().manual_seed(seed)
        total = torch.zeros(1, self.num_style_feat, dtype=torch.float64, device=device)
        for start in range(0, samples, chunk):
            z = torch.randn(min(chunk, samples - start), self.num_style_feat, generator=generator).to(device)
            total += self.style_mlp(z).double().sum(0, keepdim=True)
        return (total / samples).float()


def stage_features(features: list[torch.Tensor]) -> list[torch.Tensor]:
    """Table I's four generator stages from a 512-px generator's eight levels: the last features of each pair
    of levels (8, 32, 128 and 512 pixels). For another size, the last features of each quarter of the levels."""
    count = len(features)
    ends = [round(count * (j + 1) / 4) - 1 for j in range(4)]
    return [features[end] for end in ends]


__all__ = ["Generator", "channel_table", "fused_leaky_relu", "stage_features", "upfirdn2d"]
