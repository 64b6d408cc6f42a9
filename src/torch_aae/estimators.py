"""scikit-learn estimators: an AAE embedding (``fit`` / ``transform`` / ``inverse_transform``)
and an AAE clusterer (``fit`` / ``predict`` / ``labels_``, paper section 6).

Both follow scikit-learn's estimator contract (explicit constructor parameters, ``get_params`` /
``set_params``, fitted attributes ending in ``_``, input validation, pickling) and work in a
``Pipeline`` on any float array. Features are standardized inside (``standardize=True``) and the
decoder is linear, so tabular data of any scale works; for pixels in [0, 1] use
``standardize=False, decoder_output="sigmoid"``.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from torch_aae.config import RunConfig
from torch_aae.device import resolve_device
from torch_aae.run import build_model
from torch_aae.training.trainer import Trainer


class _AAEBase(BaseEstimator):
    def _config(self, n_samples: int, seed: int, model: dict) -> RunConfig:
        hidden = list(self.hidden_layer_sizes)
        return RunConfig().replace(
            **{
                **{f"model.{k}": v for k, v in model.items()},
                "model.encoder_hidden": hidden,
                "model.decoder_hidden": hidden,
                "model.disc_hidden": hidden,
                "model.decoder_output": self.decoder_output,
                "optim.optimizer": self.optimizer,
                "optim.lr_recon": self.learning_rate,
                "optim.lr_disc": self.learning_rate_adversarial,
                "optim.lr_gen": self.learning_rate_adversarial,
                "optim.momentum_recon": 0.9,
                "optim.momentum_adv": 0.5 if self.optimizer == "adam" else 0.1,
                "optim.milestones": [10**9],
                "train.epochs": self.epochs,
                "train.batch_size": min(self.batch_size, n_samples),
                "train.seed": seed,
                "train.device": self.device,
                "train.progress": False,
            }
        )

    def _fit_model(self, X, model_cfg: dict):
        X = validate_data(self, X, dtype=np.float32, ensure_min_samples=2)
        if self.standardize:
            self.mean_ = X.mean(axis=0)
            self.scale_ = X.std(axis=0)
            self.scale_[self.scale_ == 0] = 1.0
        else:
            self.mean_ = np.zeros(X.shape[1], dtype=np.float32)
            self.scale_ = np.ones(X.shape[1], dtype=np.float32)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        cfg = self._config(len(X), seed, model_cfg)
        device = resolve_device(cfg.train.device)
        self.model_ = build_model(cfg, X.shape[1]).to(device)
        trainer = Trainer(self.model_, cfg)  # not kept: it holds unpicklable RNG generators
        x = torch.from_numpy(self._scaled(X)).to(device)
        self.history_ = [trainer.train_epoch(x) for _ in range(cfg.train.epochs)]
        self.model_.eval()
        return X

    def _scaled(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean_) / self.scale_).astype(np.float32)

    def _tensor(self, X) -> torch.Tensor:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return torch.from_numpy(self._scaled(X)).to(next(self.model_.parameters()).device)


class AAEEmbedding(TransformerMixin, _AAEBase):
    """An adversarial autoencoder as a scikit-learn transformer: ``transform`` gives codes whose
    distribution is matched to ``prior``; ``inverse_transform`` decodes codes.

    Example::

        emb = AAEEmbedding(n_components=2, epochs=20, random_state=0).fit(X)
        Z = emb.transform(X)                 # (n, 2)
        X_back = emb.inverse_transform(Z)    # (n, n_features)
    """

    def __init__(
        self,
        n_components: int = 2,
        *,
        prior: str = "gaussian",
        hidden_layer_sizes: tuple[int, ...] = (1000, 1000),
        epochs: int = 50,
        batch_size: int = 100,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        learning_rate_adversarial: float = 2e-4,
        decoder_output: str = "linear",
        standardize: bool = True,
        random_state: int | None = None,
        device: str = "cpu",
    ):
        self.n_components = n_components
        self.prior = prior
        self.hidden_layer_sizes = hidden_layer_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_adversarial = learning_rate_adversarial
        self.decoder_output = decoder_output
        self.standardize = standardize
        self.random_state = random_state
        self.device = device

    def fit(self, X, y=None):
        """Train on the rows of ``X`` (n_samples, n_features); ``y`` is ignored."""
        self._fit_model(X, {"latent_dim": self.n_components})
        self._n_features_out = self.n_components
        return self

    def _config(self, n_samples: int, seed: int, model: dict) -> RunConfig:
        return super()._config(n_samples, seed, model).replace(**{"prior.type": self.prior})

    @torch.no_grad()
    def transform(self, X) -> np.ndarray:
        """Codes (n_samples, n_components): the mean of q(z|x)."""
        x = self._tensor(X)
        return torch.cat([self.model_.encode(b, sample=False).z for b in x.split(1000)]).numpy()

    @torch.no_grad()
    def inverse_transform(self, X) -> np.ndarray:
        """Decoded rows (n_samples, n_features_in_) for codes ``X`` (n_samples, n_components)."""
        check_is_fitted(self, "model_")
        Z = np.asarray(X, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.n_components:
            raise ValueError(
                f"inverse_transform expects codes of shape (n_samples, {self.n_components}), "
                f"got {Z.shape}."
            )
        z = torch.from_numpy(Z)
        out = torch.cat([self.model_.decode(b) for b in z.split(1000)]).numpy()
        return out * self.scale_ + self.mean_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        return tags

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "model_")
        return np.asarray([f"aaeembedding{i}" for i in range(self.n_components)], dtype=object)


class AAEClusterer(ClusterMixin, _AAEBase):
    """The unsupervised-clustering AAE (paper section 6) as a scikit-learn clusterer:
    q(y|x) over ``n_clusters`` categories with a categorical adversary, plus a Gaussian style
    code of ``style_dim`` dimensions. ``predict`` is argmax q(y|x).

    The knobs of the clustering configs (``configs/clustering_{16,30}.toml``) are parameters
    too: ``batch_norm`` (``"encoder"``: BatchNorm1d after every Linear of q(y, z|x), the logits
    of q(y|x) included, which keeps the categorical adversary from collapsing q(y|x) onto a few
    clusters; ``"trunk"``, ``"autoencoder"`` or ``"none"`` as ``model.batch_norm``),
    ``disc_noise_std`` (noise on both adversaries' inputs, an older way to keep the categorical
    game alive), ``input_noise_std`` (noise on the encoder input, training only), ``init_std``
    (weights ~ N(0, init_std^2); 0 keeps PyTorch's init) and ``recon_weight`` (the weight of the
    reconstruction loss). Their defaults are the paper's plain model.

    Example::

        km = AAEClusterer(n_clusters=16, epochs=30, random_state=0).fit(X)
        km.labels_, km.predict(X_new), km.predict_proba(X_new)
    """

    def __init__(
        self,
        n_clusters: int = 16,
        *,
        style_dim: int = 10,
        batch_norm: str = "none",
        disc_noise_std: float = 0.0,
        input_noise_std: float = 0.0,
        recon_weight: float = 1.0,
        init_std: float = 0.01,
        hidden_layer_sizes: tuple[int, ...] = (1000, 1000),
        epochs: int = 50,
        batch_size: int = 100,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        learning_rate_adversarial: float = 2e-4,
        decoder_output: str = "linear",
        standardize: bool = True,
        random_state: int | None = None,
        device: str = "cpu",
    ):
        self.n_clusters = n_clusters
        self.style_dim = style_dim
        self.batch_norm = batch_norm
        self.disc_noise_std = disc_noise_std
        self.input_noise_std = input_noise_std
        self.recon_weight = recon_weight
        self.init_std = init_std
        self.hidden_layer_sizes = hidden_layer_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.learning_rate_adversarial = learning_rate_adversarial
        self.decoder_output = decoder_output
        self.standardize = standardize
        self.random_state = random_state
        self.device = device

    def fit(self, X, y=None):
        """Train on the rows of ``X``; ``labels_`` are the clusters of those rows."""
        X = self._fit_model(
            X,
            {
                "variant": "clustering",
                "n_classes": self.n_clusters,
                "latent_dim": self.style_dim,
                "batch_norm": self.batch_norm,
                "disc_noise_std": self.disc_noise_std,
                "input_noise_std": self.input_noise_std,
                "init_std": self.init_std,
            },
        )
        self.labels_ = self.predict(X)
        return self

    @torch.no_grad()
    def predict_proba(self, X) -> np.ndarray:
        """q(y|x): (n_samples, n_clusters)."""
        x = self._tensor(X)
        return torch.cat([self.model_.classify(b).softmax(1) for b in x.split(1000)]).numpy()

    def predict(self, X) -> np.ndarray:
        """The most probable cluster of each row: (n_samples,) integers."""
        return self.predict_proba(X).argmax(axis=1)

    def _config(self, n_samples: int, seed: int, model: dict) -> RunConfig:
        return (
            super()
            ._config(n_samples, seed, model)
            .replace(**{"loss.recon_weight": self.recon_weight})
        )
