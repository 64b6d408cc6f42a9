"""The throughput benchmark's smoke check: the fast training step does fewer FLOPs than the plain
loop doing the same phases (counted from the shapes, so the same on every machine)."""

import importlib.util
from pathlib import Path

import pytest
import torch

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "throughput.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("throughput", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", ["aae", "semi_supervised"])
def test_fast_step_does_fewer_flops_than_the_plain_loop(bench, variant):
    x = torch.rand(300, 784)
    if variant == "aae":
        cfg = bench.paper_config(100)
        fast, plain = bench.fast_step_fn(x, cfg), bench.plain_step_fn(x, cfg)
    else:
        cfg = bench.semi_config(100)
        fast, plain = bench.semi_fast_step_fn(x, cfg), bench.semi_plain_step_fn(x, cfg)
    ours, theirs = bench.flops_per_step(fast), bench.flops_per_step(plain)
    assert 0 < ours < theirs


def test_quick_exits_nonzero_when_the_fast_path_loses_its_savings(bench, monkeypatch, capsys):
    x = torch.rand(300, 784)
    monkeypatch.setattr(bench, "load_builtin", lambda *a, **k: (x.numpy(), None))
    monkeypatch.setattr(bench, "matmul_peak", lambda: 1.0)
    monkeypatch.setattr(
        bench, "time_interleaved", lambda steps, n, repeats: dict.fromkeys(steps, 1.0)
    )
    assert bench.main(["--quick"]) == 0
    # The fast step doing the plain loop's work (as if a saving were undone) fails the check.
    monkeypatch.setattr(bench, "fast_step_fn", bench.plain_step_fn)
    assert bench.main(["--quick"]) == 1
    assert "not fewer than the plain loop's" in capsys.readouterr().err
