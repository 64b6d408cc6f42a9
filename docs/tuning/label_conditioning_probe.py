"""Probe: does the label-conditioned discriminator pull labeled codes onto their own component?

Trains the model of configs/mixture_labels.toml for a few steps with the library's phases and
prints, every 500 steps, the share of the first 2,000 validation codes that lie on their own
label's component (the prior's ``component``). Options switch the reconstruction phase off, give
the discriminator PyTorch's default initialisation, and add a labeled batch per step (labeled and
unlabeled codes then weigh equally). Used for the table in docs/basic.md; one thread, ~3 min:

    python docs/tuning/label_conditioning_probe.py --data-dir ../shared/data [--no-recon]
        [--default-disc-init] [--labeled-batch] [--set optim.lr_disc=0.1 ...]
"""

from __future__ import annotations

import argparse

import torch

from torch_aae.config import load_config
from torch_aae.model import AdversarialAutoencoder
from torch_aae.training.data import load_data
from torch_aae.training.optim import build_optimizers
from torch_aae.training.phases import disc_phase, gen_phase, recon_phase


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--no-recon", action="store_true", help="adversarial phases only")
    p.add_argument("--default-disc-init", action="store_true")
    p.add_argument("--labeled-batch", action="store_true", help="a labeled batch per step")
    p.add_argument("--all-labels", action="store_true", help="every training image labeled")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args()

    overrides = [f'data.data_dir="{args.data_dir}"'] + args.set
    if args.all_labels:
        overrides.append("data.n_labeled=-1")
    cfg = load_config("configs/mixture_labels.toml", overrides)
    torch.manual_seed(0)
    data = load_data(cfg.data, 0)
    model = AdversarialAutoencoder(784, cfg.model, cfg.prior)
    if args.default_disc_init:
        for layer in model.discriminator.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
    opts = build_optimizers(model, cfg.optim)
    x, y = data.train.x.float(), data.train_labels
    labeled = torch.nonzero(y >= 0).squeeze(1)
    x_val, y_val = data.val.x[:2000].float(), data.val.y[:2000]
    gen = torch.Generator().manual_seed(0)
    for step in range(args.steps + 1):
        xb, yb = x[idx := torch.randint(len(x), (100,), generator=gen)], y[idx]
        if not args.no_recon:
            recon_phase(model, opts["recon"], xb, "mse", cfg.loss.recon_weight, None)
        if args.labeled_batch:  # main batch as unlabeled, plus 100 labeled rows
            il = labeled[torch.randint(len(labeled), (100,), generator=gen)]
            xb, yb = torch.cat([xb, x[il]]), torch.cat([torch.full((100,), -1), y[il]])
        cond = model.condition(yb)
        z_real = model.prior.sample(len(yb), gen, yb)
        z_fake = model.encode(xb).z
        out = disc_phase(model.discriminator, opts["disc"], z_fake, z_real, cond)
        out |= gen_phase(model.discriminator, opts["gen"], z_fake, cond)
        if step % 500 == 0:
            with torch.no_grad():
                z = model.encode(x_val, sample=False).z
            own = float((model.prior.component(z) == y_val).float().mean())
            losses = {k: round(float(v), 2) for k, v in out.items()}
            print(f"step {step}: on own component {own:.3f} {losses}", flush=True)


if __name__ == "__main__":
    main()
