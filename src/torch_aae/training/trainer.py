"""The training loop. It owns the optimizers and RNG streams and knows nothing of files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from scipy.special import softmax
from sklearn.metrics import confusion_matrix
from tqdm.auto import tqdm

from torch_aae.clustering import cluster_scores_from_logits
from torch_aae.config import RunConfig, model_kind
from torch_aae.data.split import IndexBatcher
from torch_aae.device import configure_matmul
from torch_aae.distributed import (
    DistInfo,
    any_rank,
    average_gradients_before_step,
    average_scalars,
    broadcast_parameters,
)
from torch_aae.errors import ConfigError, NonFiniteError
from torch_aae.metrics import prior_match, reconstruction_error
from torch_aae.model import AdversarialAutoencoder
from torch_aae.registry import VARIANTS
from torch_aae.training.optim import build_schedulers
from torch_aae.training.phases import semi_supervised_step

# Offsets that give each RNG stream of a run its own seed.
_BATCH_STREAM, _PRIOR_STREAM, _EVAL_STREAM, _LABELED_STREAM = 0, 1, 2, 3

_PHASES = {
    "loss_recon": "reconstruction",
    "loss_disc": "discriminator",
    "loss_disc_y": "categorical discriminator",
    "loss_disc_z": "Gaussian discriminator",
    "loss_gen": "generator",
    "loss_kl": "reconstruction (ELBO)",
    "loss_ce": "semi-supervised classification",
    "loss_heads": "reconstruction (cluster-head cost)",
}

# The numbers shown per epoch and plotted as curves.
HEADLINE_METRICS = (
    "loss_recon",
    "loss_disc",
    "loss_disc_y",
    "loss_disc_z",
    "loss_gen",
    "loss_ce",
    "loss_kl",
    "disc_acc_real",
    "disc_acc_fake",
    "val_recon_mse_sum",
    "val_c2st_accuracy",
    "val_error_percent",
    "val_cluster_error_percent",
    "val_neg_elbo",
)


@torch.no_grad()
def predict_labels(model, x: torch.Tensor) -> torch.Tensor:
    """``argmax model.classify(x)`` of every row, on the CPU, in eval mode."""
    model.eval()
    return torch.cat([model.classify(b).argmax(1).cpu() for b in x.split(1000)])


def classification_error(model, x: torch.Tensor, labels: torch.Tensor) -> float:
    """Error (%) of ``argmax model.classify(x)`` against ``labels``, in eval mode."""
    return 100.0 * float((predict_labels(model, x) != labels.cpu()).float().mean())


@torch.no_grad()
def classifier_scores(
    model, x: torch.Tensor, y: torch.Tensor, n_classes: int, confusion: bool = True
) -> dict[str, Any]:
    """Error (%) of ``argmax q(y|x)`` against ``y`` and, with ``confusion``, the confusion matrix
    (rows: true label, columns: predicted label, scikit-learn's convention), from one pass over ``x``."""
    pred = predict_labels(model, x)
    out: dict[str, Any] = {"error_percent": 100.0 * float((pred != y.cpu()).float().mean())}
    if confusion:
        cm = confusion_matrix(y.cpu().numpy(), pred.numpy(), labels=list(range(n_classes)))
        out["confusion_matrix"] = cm.tolist()
    return out


@torch.no_grad()
def cluster_logits(model, x: torch.Tensor) -> np.ndarray:
    """Logits of q(y|x) of every row, (n, n_classes), float64, in eval mode."""
    model.eval()
    return torch.cat([model.classify(b).double().cpu() for b in x.split(1000)]).numpy()


def cluster_probabilities(model, x: torch.Tensor) -> np.ndarray:
    """q(y|x) of every row, (n, n_classes), float64, in eval mode."""
    return softmax(cluster_logits(model, x), axis=1)


class Trainer:
    """Trains an :class:`AdversarialAutoencoder` on in-memory tensors.

    ``x``: (n, data_dim) float tensor on the model's device; ``labels``: (n,) long tensor with
    -1 for unlabeled rows, or None. Batches are drawn by index with a seeded generator.
    """

    def __init__(
        self, model: AdversarialAutoencoder, cfg: RunConfig, dist_info: DistInfo | None = None
    ):
        self.model, self.cfg = model, cfg
        self.dist = dist_info or DistInfo()
        self.device = next(model.parameters()).device
        # the setting in force and the GEMM error measured under it
        self.matmul_precision, self.gemm_rel_error = configure_matmul(
            cfg.train.matmul_precision, self.device
        )
        self.variant = VARIANTS[cfg.model.variant]
        self.optimizers = self.variant.build_optimizers(model, cfg.optim)
        self.schedulers = build_schedulers(self.optimizers, cfg.optim)
        if self.dist.enabled:
            if cfg.train.batch_size % self.dist.world_size:
                raise ConfigError(
                    f"train.batch_size = {cfg.train.batch_size} does not split over "
                    f"{self.dist.world_size} processes; use a multiple of {self.dist.world_size}."
                )
            broadcast_parameters(model)
            for opt in self.optimizers.values():
                average_gradients_before_step(opt, self.dist.world_size)
        seed = cfg.train.seed
        self.batch_gen = torch.Generator().manual_seed(seed + _BATCH_STREAM)
        self.prior_gen = torch.Generator().manual_seed(seed + _PRIOR_STREAM)
        self.labeled_gen = torch.Generator().manual_seed(seed + _LABELED_STREAM)
        self._labeled: tuple[torch.Tensor, torch.Tensor] | None = None  # (x_l, y_l) pool
        # a labeled mini-batch per step: the variant's own (semi-supervised), or the labeled
        # half of label-conditioned regularization with train.label_batches = "separate"
        self._separate_labels = cfg.train.label_batches == "separate" and model.n_classes > 0
        self._takes_labeled = self.variant.labeled_batches or self._separate_labels
        self.epoch = 0  # completed epochs
        self.step = 0  # completed mini-batches
        self.batch_in_epoch = 0  # completed mini-batches of the current epoch
        self._batches_per_epoch = 0  # set by train_epoch; the warm-up reads epochs done so far
        self._epoch_rng: torch.Tensor | None = None  # batch RNG state at the epoch's start
        self._sums: dict[str, float | torch.Tensor] = {}  # running sums of the epoch's losses

    def train_step(self, x: torch.Tensor, labels: torch.Tensor | None) -> dict[str, torch.Tensor]:
        """One global mini-batch of the model's variant (for the AAE: reconstruction, then the
        discriminator step, then the generator step); under torchrun, this rank's share of it."""
        z_prior = None
        if self._separate_labels and labels is not None:  # the main batch counts as unlabeled
            labels = torch.full_like(labels, -1)
        if self.variant.needs_prior_samples:
            z_prior = self._prior_draws(len(x), labels)
        shard = self.dist.shard
        extra = {}
        if self._takes_labeled and self.model.needs_labels:
            x_l, y_l = self._labeled_batch(len(x))
            extra["labeled"] = (shard(x_l), shard(y_l))
            if self._separate_labels:  # with its draws from each row's own component
                z_l = self._prior_draws(len(x_l), y_l)
                extra["labeled"] += (shard(z_l),)
        if self.variant.step is semi_supervised_step:
            if self.cfg.loss.adv_y_warmup_epochs > 0:
                extra["adv_y_scale"] = self._warmup(self.cfg.loss.adv_y_warmup_epochs)
            if self.cfg.loss.recon_y_warmup_epochs > 0:
                self.model.recon_y_grad_scale = self._warmup(self.cfg.loss.recon_y_warmup_epochs)
        out = self.variant.step(
            self.model, self.optimizers, shard(x), shard(labels), shard(z_prior), self.cfg, **extra
        )
        self.step += 1
        bad = [k for k, v in out.items() if k.startswith("loss_") and not torch.isfinite(v)]
        if any_rank(bool(bad), self.dist):  # every rank stops together
            where = (
                f"{bad[0]} became {float(out[bad[0]])} in the {_PHASES[bad[0]]} phase"
                if bad
                else "a loss became non-finite on another process"
            )
            raise NonFiniteError(
                f"{where} at step {self.step} (epoch {self.epoch + 1}). The last good checkpoint "
                "is kept; lower the learning rates, or set train.on_nonfinite = 'rollback'."
            )
        return out

    def _warmup(self, epochs: float) -> float:
        """A factor rising linearly from 0 at the first step to 1 after ``epochs`` epochs."""
        done = self.epoch + self.batch_in_epoch / max(self._batches_per_epoch, 1)
        return min(1.0, done / epochs)

    def _prior_draws(self, n: int, labels: torch.Tensor | None) -> torch.Tensor:
        """Prior draws for one step: (n, dim), or (n, disc_steps, dim) with several
        discriminator steps (one fresh draw per step; the first is the one-step draw)."""
        k = self.cfg.train.disc_steps
        draws = [self.model.prior_batch(n, self.prior_gen, labels) for _ in range(k)]
        return (draws[0] if k == 1 else torch.stack(draws, dim=1)).to(self.device)

    def _labeled_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` labeled rows drawn without replacement (the whole pool, repeated as needed,
        when it is smaller than ``n``), in a seeded order."""
        if self._labeled is None:
            raise ConfigError(
                "This model needs labeled rows, but none were given; set data.n_labeled."
            )
        x_l, y_l = self._labeled
        m = len(y_l)
        reps = -(-n // m)
        idx = torch.cat([torch.randperm(m, generator=self.labeled_gen) for _ in range(reps)])[:n]
        idx = idx.to(x_l.device)
        return x_l[idx], y_l[idx]

    def train_epoch(
        self,
        x: torch.Tensor,
        labels: torch.Tensor | None = None,
        after_step: Callable[[], bool] | None = None,
    ) -> dict[str, float] | None:
        """One pass over ``x``; returns the mean of each loss and accuracy.

        Continues a partly done epoch (after a mid-epoch resume) by replaying its permutation.
        ``after_step`` runs after every step; when it returns True the epoch stops there and
        None is returned (the trainer's state is then consistent and can be checkpointed).
        """
        self.model.train()
        if self._takes_labeled and labels is not None:
            keep = labels >= 0
            self._labeled = (x[keep], labels[keep]) if bool(keep.any()) else None
        if self.batch_in_epoch == 0:
            self._epoch_rng = self.batch_gen.get_state()
            self._sums = {}
        else:
            self.batch_gen.set_state(self._epoch_rng)  # the same permutation as before the stop
        batcher = IndexBatcher(x.shape[0], self.cfg.train.batch_size, self.batch_gen)
        batches = list(batcher.epoch_batches())
        self._batches_per_epoch = len(batches)
        bar = tqdm(
            range(self.batch_in_epoch, len(batches)),
            desc=f"epoch {self.epoch + 1}/{self.cfg.train.epochs}",
            disable=not self.cfg.train.progress,
            leave=False,
        )
        for i in bar:
            idx = batches[i].to(self.device)  # the global batch; train_step takes its share
            out = self.train_step(x[idx], labels[idx] if labels is not None else None)
            for k, v in out.items():
                self._sums[k] = self._sums.get(k, 0.0) + v
            self.batch_in_epoch = i + 1
            if i % 20 == 0:
                bar.set_postfix({k: f"{float(v) / (i + 1):.3g}" for k, v in self._sums.items()})
            if after_step is not None and after_step():
                return None
        for sched in self.schedulers.values():
            sched.step()
        self.epoch += 1
        self.batch_in_epoch = 0
        means = {k: float(v) / len(batches) for k, v in self._sums.items()}
        means = average_scalars(means, self.dist)
        means |= {f"lr_{k}": opt.param_groups[0]["lr"] for k, opt in self.optimizers.items()}
        return means

    def scale_lr(self, factor: float) -> None:
        """Multiply every learning rate (now and after later milestones) by ``factor``."""
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] *= factor

    @torch.no_grad()
    def encode(self, x: torch.Tensor, batch_size: int = 1000, sample: bool = True) -> torch.Tensor:
        """Codes of ``x`` in eval mode, in batches: (n, latent_dim) on the CPU."""
        self.model.eval()
        parts = [
            self.model.encode(x[i : i + batch_size], sample).z for i in range(0, len(x), batch_size)
        ]
        return torch.cat(parts).cpu()

    @torch.no_grad()
    def error_percent(self, x: torch.Tensor, labels: torch.Tensor) -> float:
        """Classification error (%) of argmax q(y|x) against ``labels``."""
        return classification_error(self.model, x, labels)

    @torch.no_grad()
    def evaluate(
        self, x: torch.Tensor, labels: torch.Tensor | None = None, confusion: bool = False
    ) -> dict[str, Any]:
        """Held-out reconstruction error (all rows) and prior match (first ``n_eval`` rows).
        A classifier also gets its error (%), and with ``confusion=True`` its confusion matrix
        (rows: true label), both from one pass of q(y|x).

        Runs under a forked RNG so evaluating never changes the training stream.
        """
        model = self.model
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.cfg.train.seed + _EVAL_STREAM)
            z = self.encode(x)
            torch.manual_seed(self.cfg.train.seed + _EVAL_STREAM)
            y = labels.to(self.device) if labels is not None else None
            if model.needs_labels and not hasattr(model, "classify") and y is None:
                raise ConfigError("This model decodes from labels; evaluate it on a labeled split.")
            x_hat = torch.cat(
                [
                    model.reconstruct(x[i : i + 1000], None if y is None else y[i : i + 1000]).cpu()
                    for i in range(0, len(x), 1000)
                ]
            )
        extra = {}
        if hasattr(model, "loss_terms"):  # a VAE: its own objective, the negative ELBO
            extra |= self._elbo(x)
        kind = model_kind(self.cfg)
        if labels is not None and kind == "classifier":
            extra |= classifier_scores(model, x, labels, self.cfg.model.n_classes, confusion)
        if labels is not None and kind == "clusterer":
            logits = cluster_logits(model, x)  # clusters labelled from this split itself
            y = labels.cpu().numpy()
            scores = cluster_scores_from_logits(logits, y, logits, y)
            extra |= {f"cluster_{k}": v for k, v in scores.items()}
        if labels is not None and self.cfg.model.label_conditioning == "one_hot":
            # label-conditioned prior (paper Fig. 4): share of codes on their own label's component
            own = model.prior.component(z) == labels.cpu()
            extra["label_component_accuracy"] = float(own.float().mean())
        n = min(len(x), self.cfg.train.n_eval)
        gen = torch.Generator().manual_seed(self.cfg.train.seed + _EVAL_STREAM)
        z_prior = self.model.prior.sample(n, gen)
        recon = reconstruction_error(x.cpu().numpy(), x_hat.numpy())
        match = prior_match(z[:n].numpy(), z_prior.numpy(), seed=self.cfg.train.seed)
        match["n_prior_match"] = match.pop("n")
        return {f"recon_{k}": v for k, v in recon.items()} | match | {"n_recon": len(x)} | extra

    @torch.no_grad()
    def _elbo(self, x: torch.Tensor, batch_size: int = 1000) -> dict[str, float]:
        """Mean over the rows of ``x`` of the VAE's negative ELBO and its two terms (one draw
        of z per row, from the evaluation seed), in eval mode."""
        self.model.eval()
        recon = kl = 0.0
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.cfg.train.seed + _EVAL_STREAM)
            for i in range(0, len(x), batch_size):
                xb = x[i : i + batch_size]
                r, k = self.model.loss_terms(xb, self.cfg.loss.recon)
                recon, kl = recon + float(r) * len(xb), kl + float(k) * len(xb)
        recon, kl = recon / len(x), kl / len(x)
        return {"elbo_recon": recon, "kl": kl, "neg_elbo": recon + kl}

    def state_dict(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "rng": {
                "batch": self.batch_gen.get_state(),
                "prior": self.prior_gen.get_state(),
                "labeled": self.labeled_gen.get_state(),
                "torch": torch.get_rng_state(),
            },
            "epoch": self.epoch,
            "step": self.step,
            "batch_in_epoch": self.batch_in_epoch,
            "epoch_rng": self._epoch_rng if self.batch_in_epoch else None,
            "sums": dict(self._sums) if self.batch_in_epoch else {},
        }

    def load_state_dict(self, state: dict, restore_global_rng: bool = True) -> None:
        """Restore everything; ``restore_global_rng=False`` leaves torch's global RNG alone."""
        self.model.load_state_dict(state["model"])
        for k, o in self.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        for k, s in self.schedulers.items():
            s.load_state_dict(state["schedulers"][k])
        self.batch_gen.set_state(state["rng"]["batch"])
        self.prior_gen.set_state(state["rng"]["prior"])
        if "labeled" in state["rng"]:  # absent in checkpoints of torch-aae 0.1.0 dev builds
            self.labeled_gen.set_state(state["rng"]["labeled"])
        if restore_global_rng:
            torch.set_rng_state(state["rng"]["torch"])
        self.epoch, self.step = int(state["epoch"]), int(state["step"])
        # absent in checkpoints written only at epoch ends by torch-aae 0.1.0 development builds
        self.batch_in_epoch = int(state.get("batch_in_epoch", 0))
        self._epoch_rng, self._sums = state.get("epoch_rng"), dict(state.get("sums", {}))
