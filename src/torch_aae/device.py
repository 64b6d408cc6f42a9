"""Device resolution in one place."""

from __future__ import annotations

import torch

from torch_aae.errors import ConfigError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA when available, else CPU. ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "train.device = 'cuda' but no CUDA GPU is available; use 'cpu' or 'auto'."
        )
    if name not in ("cpu", "cuda"):
        raise ConfigError(f"train.device = {name!r}; use 'auto', 'cpu' or 'cuda'.")
    return torch.device(name)


def gemm_relative_error(device: torch.device) -> float:
    """Relative error of a linear layer's GEMM (batch 100, 784 -> 1000) against float64, with
    the matmul precision now in force: ~1e-7 for true fp32 maths, ~1e-3 where a backend rounds
    the inputs to bf16. Runs record it beside the precision setting, which alone does not say
    whether the backend rounded."""
    gen = torch.Generator().manual_seed(0)
    a, w = torch.randn(100, 784, generator=gen), torch.randn(1000, 784, generator=gen)
    exact = a.double() @ w.double().T
    approx = torch.nn.functional.linear(a.to(device), w.to(device)).cpu().double()
    return ((approx - exact).norm() / exact.norm()).item()


FP32_TOLERANCE = 1e-5  # GEMM relative error under which the maths counts as fp32


def matmul_is_fp32_accurate(device: torch.device, tol: float = FP32_TOLERANCE) -> bool:
    """Whether the GEMMs are fp32-accurate under the precision now in force."""
    return gemm_relative_error(device) < tol


def configure_matmul(precision: str, device: torch.device) -> tuple[str, float]:
    """Set ``torch.set_float32_matmul_precision`` for training; returns the setting in force and
    the GEMM relative error measured under it (see :func:`gemm_relative_error`).

    ``auto`` tries 'medium' (on CPU it routes fp32 GEMMs to oneDNN, about 1.6x faster than MKL
    on AMD processors) and falls back to 'highest' unless the result is fp32-accurate.
    """
    if precision in ("auto", "medium"):
        torch.set_float32_matmul_precision("medium")
        error = gemm_relative_error(device)
        if precision == "medium" or error < FP32_TOLERANCE:
            return "medium", error
    torch.set_float32_matmul_precision("highest")
    return "highest", gemm_relative_error(device)
