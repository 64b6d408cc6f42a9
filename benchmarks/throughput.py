"""Training throughput of the AAE variants at the paper's sizes, side by side with a plain loop.

Measures, in one process on one machine:
- images/s of torch-aae's training step (``Trainer.train_step``: in-memory batches, one shared
  encoder pass for the D and G steps, D frozen during the G step, real and fake in one D batch);
- images/s of a plain eager loop doing the same three phases the straightforward way, as
  reimplementations do (a ``DataLoader`` over a ``TensorDataset``, a fresh encoder pass per phase,
  D called separately on real and fake, D's weight gradients computed in the G step);
- images/s of Pythae's ``Adversarial_AE`` with the same networks (``pip install -e ".[bench]"``);
- the same torch-aae step with ``train.matmul_precision = "medium"`` (PyTorch's faster fp32 matmul
  backend; on CPUs with AMX or AVX512-BF16 it rounds GEMM inputs to bf16 and accumulates in fp32):
  the ``torch_aae_medium`` entry, timed in the same interleaved blocks;
- the GFLOP/s each reaches (FLOPs counted from the shapes by ``torch.utils.flop_counter``) over
  the fp32 matmul peak measured in the same run.

    python benchmarks/throughput.py --data-dir ../shared/data --out benchmarks/results.json
    python benchmarks/throughput.py --quick   # a few steps; exits 1 if the fast path does more work

``--quick`` is a smoke run for CI: it times a few steps of each loop and reports them, but its exit
status depends only on what does not vary from machine to machine or run to run: that the fast
path's step costs fewer FLOPs than the plain loop's (counted from the shapes). Whether that makes
it faster is a measurement, made by the full benchmark on an idle machine, never a pass/fail gate.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from torch_aae.config import RunConfig
from torch_aae.data.sources import load_builtin
from torch_aae.model import AdversarialAutoencoder
from torch_aae.run import hardware_info
from torch_aae.training.trainer import Trainer


def paper_config(batch_size: int, latent_dim: int = 8) -> RunConfig:
    """784-1000-1000-z networks, SGD with momentum (paper appendix A), z ~ N(0, 5^2)."""
    return RunConfig().replace(
        **{
            "model.latent_dim": latent_dim,
            "prior.std": 5.0,
            "train.batch_size": batch_size,
            "train.progress": False,
            "train.device": "cpu",
            "train.matmul_precision": "highest",
        }
    )


def forever(loader):
    """The loader's batches, starting a new pass (a new shuffle) whenever one ends."""
    while True:
        yield from loader


def fast_step_fn(x: torch.Tensor, cfg: RunConfig):
    torch.manual_seed(0)
    trainer = Trainer(AdversarialAutoencoder(784, cfg.model, cfg.prior), cfg)
    gen = torch.Generator().manual_seed(0)
    b = cfg.train.batch_size

    def step():
        idx = torch.randint(len(x), (b,), generator=gen)
        trainer.train_step(x[idx], None)

    return step


def plain_step_fn(x: torch.Tensor, cfg: RunConfig):
    """The three phases written the straightforward way."""
    torch.manual_seed(0)
    model = AdversarialAutoencoder(784, cfg.model, cfg.prior)
    enc, dec, disc = model.encoder, model.decoder, model.discriminator
    o = cfg.optim
    opt_ae = torch.optim.SGD([*enc.parameters(), *dec.parameters()], o.lr_recon, o.momentum_recon)
    opt_d = torch.optim.SGD(disc.parameters(), o.lr_disc, o.momentum_adv)
    opt_g = torch.optim.SGD(enc.parameters(), o.lr_gen, o.momentum_adv)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x),
        batch_size=cfg.train.batch_size,
        shuffle=True,
        drop_last=True,
    )
    batches = forever(loader)
    b = cfg.train.batch_size

    def step():
        (xb,) = next(batches)
        opt_ae.zero_grad()
        F.mse_loss(dec(enc(xb).z), xb, reduction="sum").div(b).backward()
        opt_ae.step()
        opt_d.zero_grad()
        z_real = model.prior.sample(b)
        z_fake = enc(xb).z.detach()
        d_real, d_fake = disc(z_real), disc(z_fake)
        loss_d = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
        loss_d = loss_d + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        d_gen = disc(enc(xb).z)
        F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen)).backward()
        opt_g.step()

    return step


def semi_config(batch_size: int) -> RunConfig:
    """The semi-supervised model of paper section 5: q(y, z|x), y 10-way, z 10-D, 2 x 1000."""
    return paper_config(batch_size, latent_dim=10).replace(
        **{"model.variant": "semi_supervised", "prior.std": 1.0, "data.n_labeled": 100}
    )


def _labels(n: int) -> torch.Tensor:
    labels = torch.full((n,), -1)
    labels[:100] = torch.arange(100) % 10  # 100 labeled rows, as with 100 labels
    return labels


def semi_fast_step_fn(x: torch.Tensor, cfg: RunConfig):
    from torch_aae.registry import create_model

    torch.manual_seed(0)
    trainer = Trainer(create_model(cfg, 784), cfg)
    labels = _labels(len(x))
    trainer._labeled = (x[labels >= 0], labels[labels >= 0])
    gen = torch.Generator().manual_seed(0)
    b = cfg.train.batch_size

    def step():
        idx = torch.randint(len(x), (b,), generator=gen)
        trainer.train_step(x[idx], labels[idx])

    return step


def semi_plain_step_fn(x: torch.Tensor, cfg: RunConfig):
    """The semi-supervised phases the straightforward way: a fresh encoder pass per phase, each
    discriminator called separately on real and fake, two generator steps, D's weight gradients
    computed in the G steps."""
    from torch_aae.registry import create_model

    torch.manual_seed(0)
    m = create_model(cfg, 784)
    o, k = cfg.optim, m.n_classes
    enc = m.encoder_parameters()
    opt_ae = torch.optim.SGD([*enc, *m.decoder.parameters()], o.lr_recon, o.momentum_recon)
    opt_dy = torch.optim.SGD(m.disc_y.parameters(), o.lr_disc, o.momentum_adv)
    opt_dz = torch.optim.SGD(m.disc_z.parameters(), o.lr_disc, o.momentum_adv)
    opt_g = torch.optim.SGD(enc, o.lr_gen, o.momentum_adv)
    opt_ce = torch.optim.SGD(m.classifier_parameters(), o.lr_ce, o.momentum_ce)
    labels = _labels(len(x))
    x_l, y_l = x[labels >= 0], labels[labels >= 0]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x), batch_size=cfg.train.batch_size, shuffle=True
    )
    batches = forever(loader)
    b = cfg.train.batch_size
    bce = F.binary_cross_entropy_with_logits

    def disc_step(disc, opt, real, fake):
        opt.zero_grad()
        d_real, d_fake = disc(real), disc(fake.detach())
        (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))).backward()
        opt.step()

    def step():
        (xb,) = next(batches)
        opt_ae.zero_grad()
        logits, z = m.encode_yz(xb)
        F.mse_loss(m.decode(z, logits.softmax(1)), xb, reduction="sum").div(b).backward()
        opt_ae.step()
        y_real = F.one_hot(torch.randint(k, (b,)), k).float()
        logits, _ = m.encode_yz(xb)
        disc_step(m.disc_y, opt_dy, y_real, logits.softmax(1))
        _, z = m.encode_yz(xb)
        disc_step(m.disc_z, opt_dz, torch.randn(b, m.latent_dim), z)
        for head, disc in ((0, m.disc_y), (1, m.disc_z)):
            opt_g.zero_grad()
            out = m.encode_yz(xb)[head]
            d = disc(out.softmax(1) if head == 0 else out)
            bce(d, torch.ones_like(d)).backward()
            opt_g.step()
        opt_ce.zero_grad()
        idx = torch.randint(len(y_l), (b,))
        F.cross_entropy(m.classify(x_l[idx]), y_l[idx]).backward()
        opt_ce.step()

    return step


def pythae_step_fn(x: torch.Tensor, cfg: RunConfig):
    """Pythae's ``Adversarial_AE`` with the same networks, batch and SGD settings, stepped the
    way its ``AdversarialTrainer`` does (one forward pass computes both players' losses; the
    autoencoder and the discriminator are updated from it). None if pythae is not installed."""
    try:
        from pythae.data.datasets import BaseDataset
        from pythae.models import Adversarial_AE, Adversarial_AE_Config
        from pythae.models.base.base_utils import ModelOutput
        from pythae.models.nn import BaseDecoder, BaseDiscriminator, BaseEncoder
        from pythae.trainers import AdversarialTrainer, AdversarialTrainerConfig
    except ImportError:
        return None
    torch.manual_seed(0)
    ours = AdversarialAutoencoder(784, cfg.model, cfg.prior)  # the same networks and init
    z_dim = cfg.model.latent_dim

    class Enc(BaseEncoder):
        def __init__(self):
            super().__init__()
            self.net = ours.encoder.net

        def forward(self, x):
            z = self.net(x)
            return ModelOutput(embedding=z, log_covariance=torch.zeros_like(z))

    class Dec(BaseDecoder):
        def __init__(self):
            super().__init__()
            self.net = ours.decoder.net

        def forward(self, z):
            return ModelOutput(reconstruction=torch.sigmoid(self.net(z)))

    class Disc(BaseDiscriminator):
        def __init__(self):
            super().__init__()
            self.net = ours.discriminator.net

        def forward(self, z):
            return ModelOutput(embedding=torch.sigmoid(self.net(z)))

    model_cfg = Adversarial_AE_Config(
        input_dim=(784,), latent_dim=z_dim, deterministic_posterior=True
    )
    model = Adversarial_AE(model_cfg, encoder=Enc(), decoder=Dec(), discriminator=Disc())
    o = cfg.optim
    out_dir = tempfile.mkdtemp(prefix="pythae-bench-")
    trainer = AdversarialTrainer(
        model=model,
        train_dataset=BaseDataset(x, torch.zeros(len(x))),
        training_config=AdversarialTrainerConfig(
            output_dir=out_dir,
            per_device_train_batch_size=cfg.train.batch_size,
            autoencoder_optimizer_cls="SGD",
            autoencoder_learning_rate=o.lr_recon,
            autoencoder_optimizer_params={"momentum": o.momentum_recon},
            discriminator_optimizer_cls="SGD",
            discriminator_learning_rate=o.lr_disc,
            discriminator_optimizer_params={"momentum": o.momentum_adv},
            no_cuda=True,
        ),
    )
    trainer.prepare_training()
    batches = forever(trainer.train_loader)

    def step():
        inputs = next(batches)
        inputs = trainer._set_inputs_to_device(inputs)
        output = model(inputs, epoch=1, dataset_size=len(x), uses_ddp=False)
        trainer._optimizers_step(output)

    return step


def with_matmul_precision(step, precision: str):
    """``step`` run under ``torch.set_float32_matmul_precision(precision)``, restoring the
    setting afterwards, so steps of either precision can be interleaved in one process."""

    def wrapped():
        before = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision(precision)
        try:
            step()
        finally:
            torch.set_float32_matmul_precision(before)

    return wrapped


def flops_per_step(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def time_interleaved(steps: dict, n_steps: int, n_warmup: int = 5, repeats: int = 5) -> dict:
    """Median seconds per step of each step function, timed in alternating blocks of
    ``n_steps`` so that drifts in machine load hit all of them alike."""
    for step in steps.values():
        for _ in range(n_warmup):
            step()
    blocks = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(n_steps):
                step()
            blocks[name].append((time.perf_counter() - t0) / n_steps)
    return {name: statistics.median(b) for name, b in blocks.items()}


def matmul_peak(size: int = 1024, n: int = 20) -> float:
    """fp32 GFLOP/s of a square matmul, median of ``n``."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * size**3 / statistics.median(times) / 1e9


def measure(x, batch_size, n_steps, repeats, with_pythae=True, variant="aae", medium=True) -> dict:
    fast_fn, plain_fn = (
        (semi_fast_step_fn, semi_plain_step_fn)
        if variant == "semi_supervised"
        else (fast_step_fn, plain_step_fn)
    )
    cfg = semi_config(batch_size) if variant == "semi_supervised" else paper_config(batch_size)
    with_pythae = with_pythae and variant != "semi_supervised"  # Pythae has no semi-supervised AAE
    steps = {"torch_aae": fast_fn(x, cfg), "plain_eager": plain_fn(x, cfg)}
    if medium:
        steps["torch_aae_medium"] = with_matmul_precision(fast_fn(x, cfg), "medium")
    if with_pythae:
        pythae = pythae_step_fn(x, cfg)
        if pythae is not None:
            steps["pythae"] = pythae
    flops = {name: flops_per_step(step) for name, step in steps.items()}
    seconds = time_interleaved(steps, n_steps, repeats=repeats)
    out = {"variant": variant, "batch_size": batch_size}
    for name, sec in seconds.items():
        out[name] = {
            "seconds_per_step": sec,
            "images_per_second": batch_size / sec,
            "seconds_per_epoch_60k": 60000 / batch_size * sec,
            "gflop_per_step": flops[name] / 1e9,
            "gflops_achieved": flops[name] / sec / 1e9,
        }
    ours = out["torch_aae"]["images_per_second"]
    plain = out["plain_eager"]["images_per_second"]
    out["speedup"] = ours / plain
    if "pythae" in out:
        out["speedup_vs_pythae"] = ours / out["pythae"]["images_per_second"]
    if "torch_aae_medium" in out:
        medium_ips = out["torch_aae_medium"]["images_per_second"]
        out["speedup_medium"] = medium_ips / plain
        if "pythae" in out:
            out["speedup_medium_vs_pythae"] = medium_ips / out["pythae"]["images_per_second"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--out", help="write the results JSON here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="few steps; exit 1 if the fast path does not do fewer FLOPs than the plain loop",
    )
    parser.add_argument("--batch-sizes", default="100,256,1000")
    args = parser.parse_args(argv)
    x = torch.from_numpy(load_builtin("mnist", "train", args.data_dir, download=True)[0])
    sizes = [100] if args.quick else [int(b) for b in args.batch_sizes.split(",")]
    n_steps, repeats = (10, 5) if args.quick else (40, 7)
    peak = matmul_peak()
    start = time.perf_counter()
    results = {
        "benchmark": "AAE training steps at the paper's sizes: the basic AAE (784-1000-1000-8, "
        "section 3) at each batch size, and the semi-supervised AAE (section 5) at batch 100",
        "hardware": hardware_info(),
        "threads": torch.get_num_threads(),
        "fp32_matmul_peak_gflops": peak,
        "runs": [
            measure(x, b, n_steps, repeats, not args.quick, medium=not args.quick) for b in sizes
        ]
        + ([] if args.quick else [measure(x, 100, n_steps, repeats, variant="semi_supervised")]),
        "command": "python " + " ".join(sys.argv),
    }
    results["wall_seconds"] = time.perf_counter() - start
    for run in results["runs"]:
        for name in ("torch_aae", "torch_aae_medium", "plain_eager", "pythae"):
            if name in run:
                run[name]["fraction_of_peak"] = run[name]["gflops_achieved"] / peak
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.quick:
        first = results["runs"][0]
        ours, plain = first["torch_aae"]["gflop_per_step"], first["plain_eager"]["gflop_per_step"]
        if ours >= plain:
            print(
                f"the fast path's step does {ours:.2f} GFLOP, not fewer than the plain loop's "
                f"{plain:.2f}: one of its savings (shared encoder pass, one D batch, D frozen "
                "during the G step) is gone",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
