"""Probe: how much of the Parzen score is lost to the prior match, and how much to the decoder?

Scores three sets of 10,000 decoded codes of one trained run with the validation protocol of
``aae evaluate RUN --metric parzen --split val`` (sigma chosen on the first 1,000 validation
images, the score read on the other 9,000; the test split is not read):

- ``prior``: codes drawn from the prior p(z) (what the reported number uses);
- ``aggregated posterior``: the codes of the first 10,000 training images (a draw from q(z|x) for
  a stochastic encoder), i.e. draws from q(z) itself (what prior draws would give if q(z) matched p(z) exactly);
- ``Gaussian fitted to q(z)``: draws from a full-covariance Gaussian fitted to those codes.

Used for docs/likelihood.md; one thread, about a minute:

    python docs/tuning/parzen_sample_source_probe.py RUN --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import dataclasses

import torch

from torch_aae.parzen import parzen_evaluate
from torch_aae.run import load_model, read_run
from torch_aae.training.data import load_data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a run directory of a basic AAE (e.g. configs/likelihood_8d.toml)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    cfg, _ = read_run(args.run)
    data_cfg = cfg.data
    if args.data_dir is not None:
        data_cfg = dataclasses.replace(data_cfg, data_dir=args.data_dir)
    data = load_data(data_cfg)
    model = load_model(args.run).eval()
    val = data.split("val").x.numpy()
    gen = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        prior = torch.cat([model.sample(1000, gen) for _ in range(10)]).numpy()
        torch.manual_seed(args.seed)  # a stochastic encoder draws its codes from q(z|x)
        z = model.encoder(data.train.x[:10000], sample=True).z
        posterior = model.decoder(z).numpy()
        chol = torch.linalg.cholesky(torch.cov(z.T))
        z_fit = z.mean(0) + torch.randn(10000, z.shape[1], generator=gen) @ chol.T
        fitted = model.decoder(z_fit).numpy()
    print(f"codes of 10,000 training images: std per dimension {z.std(0).numpy().round(2)}")
    for name, samples in [
        ("prior", prior),
        ("aggregated posterior", posterior),
        ("Gaussian fitted to q(z)", fitted),
    ]:
        r = parzen_evaluate(samples, val[:1000], val[1000:], name="val")
        print(f"{name}: {r['val_mean']:.1f} +/- {r['val_se']:.1f} nats (sigma {r['sigma']:.3f})")


if __name__ == "__main__":
    main()
