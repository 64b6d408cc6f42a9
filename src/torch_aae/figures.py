"""The figures of a run: held-out codes over the prior (Figs. 2a/2b, 4a/4c), the manifold grid
(Fig. 2e), reconstructions, prior samples and training curves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from torch_aae import plots
from torch_aae.clustering import log_odds
from torch_aae.model import AdversarialAutoencoder
from torch_aae.priors import GaussianPrior, UniformPrior
from torch_aae.semi import LabelDecoding
from torch_aae.training.data import DataBundle
from torch_aae.training.trainer import HEADLINE_METRICS, cluster_logits


@torch.no_grad()
def _decode(model: AdversarialAutoencoder, z: torch.Tensor) -> np.ndarray:
    model.eval()
    device = next(model.parameters()).device
    return model.decode(z.to(device)).cpu().numpy()


def manifold_points(model: AdversarialAutoencoder, n: int, seed: int = 0) -> np.ndarray:
    """(n*n, 2) codes on the percentile grid of a 2-D prior (Fig. 2e).

    Uses the prior's closed-form inverse CDF where it has one, else empirical quantiles of
    prior draws pooled over both axes (the mixture and swiss roll are near rotation-symmetric).
    """
    prior = model.prior
    if isinstance(prior, (GaussianPrior, UniformPrior)):
        icdf = lambda p: prior.icdf(torch.as_tensor(p)).numpy()  # noqa: E731
    else:
        ref = prior.sample(100_000, torch.Generator().manual_seed(seed)).numpy().ravel()
        icdf = lambda p: np.quantile(ref, p)  # noqa: E731
    return plots.manifold_grid(n, icdf=icdf).astype(np.float32)


def make_figures(
    model: AdversarialAutoencoder,
    data: DataBundle,
    run_dir: str | Path,
    seed: int = 0,
    folder: str = "figures",
) -> list[Path]:
    """Write every figure that applies to this model and data into ``run_dir/<folder>``."""
    if isinstance(model, LabelDecoding):
        return _label_model_figures(model, data, run_dir, seed, folder)
    out = Path(run_dir) / folder
    held_out = data.test if data.test is not None else data.val
    split_name = "test" if data.test is not None else "validation"
    gen = torch.Generator().manual_seed(seed)
    n = min(5000, len(held_out.x))
    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        z = torch.cat(
            [model.encode(held_out.x[i : i + 1000].to(device)).z.cpu() for i in range(0, n, 1000)]
        )
    z_prior = model.prior.sample(20_000, gen)
    labels = None if held_out.y is None else held_out.y[:n].numpy()
    paths = [
        plots.plot_latent(
            z.numpy(),
            labels,
            z_prior.numpy(),
            out / "latent.png",
            title=f"{split_name} codes over the prior ({model.prior.__class__.__name__})",
            class_names=data.class_names,
        )
    ]
    if data.image_shape is not None:
        shape = data.image_shape
        x = held_out.x[:10]
        paths.append(
            plots.plot_reconstructions(
                x.numpy(),
                _decode(model, model.encode(x.to(device), sample=False).z),
                out / "reconstructions.png",
                image_shape=shape,
            )
        )
        sample_labels = (
            torch.arange(model.n_classes).repeat_interleave(10) if model.n_classes else None
        )
        n_samples = len(sample_labels) if sample_labels is not None else 100
        samples = model.prior.sample(n_samples, gen, sample_labels)
        paths.append(
            plots.plot_image_grid(
                _decode(model, samples),
                out / "samples.png",
                image_shape=shape,
                title="decoded prior samples"
                + (" (row k: component k)" if model.n_classes else ""),
            )
        )
        if model.n_classes and hasattr(model.prior, "sweep"):
            sweep = torch.cat([model.prior.sweep(k, 10) for k in range(model.n_classes)])
            paths.append(
                plots.plot_image_grid(
                    _decode(model, sweep),
                    out / "style_sweep.png",
                    image_shape=shape,
                    title="row k: codes along component k of the prior (style sweep)",
                )
            )
        if model.latent_dim == 2:
            grid = 20
            images = _decode(model, torch.from_numpy(manifold_points(model, grid, seed)))
            paths.append(plots.plot_manifold(images, grid, out / "manifold.png", image_shape=shape))
    return paths + _curves(run_dir, out)


def _curves(run_dir: str | Path, out: Path) -> list[Path]:
    metrics_path = Path(run_dir) / "metrics.jsonl"
    if not metrics_path.is_file():
        return []
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line]
    keys = [k for k in HEADLINE_METRICS if any(k in r for r in records)]
    return [plots.plot_curves(records, keys, out / "curves.png")] if keys else []


@torch.no_grad()
def style_grid(model: LabelDecoding, n_styles: int = 10, seed: int = 0) -> np.ndarray:
    """Paper Fig. 7a: row i decodes one style z_i ~ p(z) with each label 0..K-1 in turn.
    Returns (n_styles * K, data_dim) images, row-major."""
    model.eval()
    k = model.n_classes
    z = model.prior.sample(n_styles, torch.Generator().manual_seed(seed))
    device = next(model.parameters()).device
    z = z.repeat_interleave(k, dim=0).to(device)
    y = torch.arange(k).repeat(n_styles).to(device)
    return model.decode(z, y).cpu().numpy()


@torch.no_grad()
def _label_model_figures(
    model: LabelDecoding, data: DataBundle, run_dir: str | Path, seed: int, folder: str
) -> list[Path]:
    """Supervised and semi-supervised AAEs: style codes of held-out images, reconstructions,
    the style-by-label grid (Fig. 7a) and the training curves."""
    out = Path(run_dir) / folder
    held_out = data.test if data.test is not None else data.val
    split_name = "test" if data.test is not None else "validation"
    n = min(5000, len(held_out.x))
    device = next(model.parameters()).device
    model.eval()
    x = held_out.x[:n].to(device)
    y = held_out.y[:n].to(device) if held_out.y is not None else None
    z = torch.cat([model.encode(b).z.cpu() for b in x.split(1000)])
    z_prior = model.prior.sample(20_000, torch.Generator().manual_seed(seed))
    paths = [
        plots.plot_latent(
            z.numpy(),
            None if y is None else y.cpu().numpy(),
            z_prior.numpy(),
            out / "latent.png",
            title=f"style codes of {split_name} images",  # plot_latent notes "first 2 of n dims"
            class_names=data.class_names,
        )
    ]
    if data.image_shape is not None and y is not None:
        shape = data.image_shape
        paths.append(
            plots.plot_reconstructions(
                x[:10].cpu().numpy(),
                model.reconstruct(x[:10], y[:10]).cpu().numpy(),
                out / "reconstructions.png",
                image_shape=shape,
            )
        )
        paths.append(
            plots.plot_image_grid(
                style_grid(model, 10, seed),
                out / "style_grid.png",
                image_shape=shape,
                n_cols=model.n_classes,
                title="row: one style z ~ p(z); column: label 0..9",
            )
        )
        if getattr(model, "kind", None) == "clusterer":
            heads = cluster_grid(model, held_out.x[:n].to(device))
            paths.append(
                plots.plot_image_grid(
                    heads,
                    out / "clusters.png",
                    image_shape=shape,
                    n_cols=11,
                    title="row k: decoder(y = k, z = 0), then the test images most confidently in k",
                )
            )
    if hasattr(model, "represent"):
        paths.append(_representation_figure(model, x, y, out / "representation.png"))
    return paths + _curves(run_dir, out)


def circle_projection(n_heads: int, dim: int) -> np.ndarray:
    """(dim, 2) linear map sending the fixed heads scale * e_k (k < n_heads) to points spaced
    evenly on a circle (paper Fig. 11d)."""
    angles = 2 * np.pi * np.arange(n_heads) / n_heads
    proj = np.zeros((dim, 2))
    proj[:n_heads] = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return proj


@torch.no_grad()
def _representation_figure(model, x: torch.Tensor, y, path: Path) -> Path:
    """Paper Fig. 11: the representation r of held-out images coloured by label, with the
    cluster heads. A 3-D r is drawn in 3-D; with fixed heads (W_c = scale * I) an n > 2 r is
    projected so the heads lie on a circle; a learned n > 3 r on its first two principal axes."""
    r = torch.cat([model.represent(b).cpu() for b in x.split(1000)]).numpy()
    heads = model.heads.detach().cpu().numpy()
    labels = None if y is None else y.cpu().numpy()
    title = f"representation r = W_c^T y + z ({model.latent_dim}-D); x: cluster heads"
    fixed = not isinstance(model.heads, torch.nn.Parameter)
    axes = ("r[0]", "r[1]")
    if r.shape[1] == 3 and not fixed:
        return plots.plot_latent_3d(r, labels, path, title=title, markers=heads)
    if r.shape[1] > 2:
        if fixed:
            proj, centre = circle_projection(model.n_classes, r.shape[1]), 0.0
            axes = ("r projected (heads on a circle), x", "r projected (heads on a circle), y")
        else:
            pca = PCA(n_components=2).fit(r)
            proj, centre, title = pca.components_.T, pca.mean_, title + ", principal axes"
            axes = ("principal axis 1 of r", "principal axis 2 of r")
        r, heads = (r - centre) @ proj, (heads - centre) @ proj
    return plots.plot_latent(r, labels, None, path, title=title, markers=heads, axis_names=axes)


@torch.no_grad()
def cluster_grid(model, x: torch.Tensor, per_cluster: int = 10) -> np.ndarray:
    """Paper Fig. 9: per cluster k, the cluster head decoder(one-hot k, z = 0), then the
    ``per_cluster`` images of ``x`` assigned to k with the largest q(y = k|x) (blank if fewer),
    ranked by log-odds so that images whose q(y = k|x) rounds to 1.0 are still ordered.
    Returns (K * (1 + per_cluster), data_dim) images, row-major."""
    model.eval()
    k, d = model.n_classes, model.latent_dim
    device = next(model.parameters()).device
    heads = model.decode(torch.zeros(k, d, device=device), torch.arange(k, device=device)).cpu()
    odds = torch.from_numpy(log_odds(cluster_logits(model, x)))
    assign = odds.argmax(1)
    conf = odds.gather(1, assign[:, None]).squeeze(1)
    rows = []
    blank = torch.ones(x.shape[1])
    for c in range(k):
        idx = torch.nonzero(assign == c).squeeze(1)
        idx = idx[conf[idx].argsort(descending=True)][:per_cluster]
        members = [x[i].cpu() for i in idx] + [blank] * (per_cluster - len(idx))
        rows.append(torch.stack([heads[c], *members]))
    return torch.cat(rows).numpy()


@torch.no_grad()
def compare_runs(
    run_dirs: list[str | Path],
    out: str | Path,
    data_dir: str | None = None,
    n: int = 5000,
    checkpoint: str = "last",
) -> Path:
    """Paper Fig. 2: the held-out codes of several runs side by side (e.g. an AAE beside a VAE
    with the same prior), each titled with its variant, test prior-match C2ST accuracy and test
    reconstruction error: the last epoch's from its ``summary.json``, or with
    ``checkpoint="best"`` those of ``best.pt`` (the epoch chosen on validation), computed here."""
    from torch_aae.api import AAE
    from torch_aae.errors import CheckpointError
    from torch_aae.run import best_checkpoint, load_model, read_run
    from torch_aae.training.data import load_data

    if checkpoint not in ("last", "best"):
        raise ValueError(f"checkpoint must be 'last' or 'best', got {checkpoint!r}")
    panels, class_names = [], None
    for run in map(Path, run_dirs):
        summary_path = run / "summary.json"
        if not summary_path.is_file():
            raise CheckpointError(f"'{run}' has no summary.json; let the run finish first.")
        cfg, _ = read_run(run)
        if data_dir:
            cfg = cfg.replace(**{"data.data_dir": data_dir})
        data = load_data(cfg.data, cfg.train.seed)
        held_out = data.test if data.test is not None else data.val
        class_names = data.class_names
        if checkpoint == "best":
            trainer = AAE.load(best_checkpoint(run)).trainer_
            test = trainer.evaluate(held_out.x, held_out.y)  # leaves the model in eval mode
            model = trainer.model
        else:
            test = json.loads(summary_path.read_text()).get("test") or {}
            model = load_model(run)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.train.seed)
            z = torch.cat([model.encode(b).z for b in held_out.x[:n].split(1000)])
        prior = model.prior.sample(20_000, torch.Generator().manual_seed(cfg.train.seed))
        title = (
            f"{cfg.model.variant.upper()}, {cfg.prior.type} prior ({run.name})\n"
            f"test C2ST {test.get('c2st_accuracy', float('nan')):.3f}, "
            f"recon. error {test.get('recon_mse_sum', float('nan')):.1f}"
        )
        labels = None if held_out.y is None else held_out.y[:n].numpy()
        panels.append(
            {"codes": z.numpy(), "labels": labels, "prior_samples": prior.numpy(), "title": title}
        )
    return plots.plot_latent_panels(panels, out, class_names=class_names)
