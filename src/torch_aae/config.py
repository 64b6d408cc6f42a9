"""Run configuration: one frozen dataclass per concern, loaded strictly from TOML.

A config file has one table per section (``[data]``, ``[model]``, ``[prior]``, ``[loss]``,
``[optim]``, ``[train]``). Unknown keys and bad values raise :class:`ConfigError` naming the key
and the valid choices; ``--set section.key=value`` overrides are parsed as TOML values.
"""

from __future__ import annotations

import dataclasses
import difflib
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import tomli_w

from torch_aae.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "mnist"  # "mnist", "fashion_mnist", or a path to a .npy/.npz/.csv file
    data_dir: str | None = None  # where the IDX files are; None: $TORCH_AAE_DATA, then the cache
    val_size: int = 10000  # held out from the END of the training rows (MNIST: last 10,000)
    n_train: int = -1  # use only the first n_train training rows (-1: all); quick tries, tests
    n_labeled: int = -1  # labels used by label-conditioned regularization; -1 all, 0 none
    # seed of the class-balanced labeled subset; None: train.seed (each seed its own subset).
    # Set it to keep one subset while train.seed varies the initialization and batch order.
    label_seed: int | None = None
    label_key: str | None = None  # user CSV/NPZ: the column or key holding integer labels
    download: bool = True  # fetch missing built-in datasets from the public mirrors


@dataclass(frozen=True)
class ModelConfig:
    # "aae": the basic AAE (sec. 2); "vae": the VAE baseline; "supervised": the decoder also
    # gets the one-hot label, z learns style (sec. 4); "semi_supervised": q(y, z|x) with a
    # categorical and a Gaussian adversary and a cross-entropy phase on labeled rows (sec. 5);
    # "clustering": the same without labels, y has n_classes clusters (sec. 6);
    # "dim_reduction": r = W_c^T y + z with learned cluster heads W_c (sec. 7), with labels
    # (data.n_labeled != 0, a cross-entropy phase) or without
    variant: Literal[
        "aae", "vae", "supervised", "semi_supervised", "clustering", "dim_reduction"
    ] = "aae"
    latent_dim: int = 2  # size of the code z
    encoder_hidden: tuple[int, ...] = (1000, 1000)  # paper: 2 x 1000 ReLU (appendix A)
    decoder_hidden: tuple[int, ...] = (1000, 1000)
    disc_hidden: tuple[int, ...] = (1000, 1000)
    encoder_type: Literal["deterministic", "gaussian", "universal"] = "deterministic"
    noise_dim: int = 16  # universal approximator: size of the noise eta concatenated to x
    noise_std: float = 1.0  # universal approximator: std of eta
    # gaussian encoder: the posterior std is sqrt(sigma(x)^2 + min_posterior_std^2), so every
    # image's code is spread at least this far (0: as learned)
    min_posterior_std: float = 0.0
    decoder_output: Literal["sigmoid", "linear"] = "sigmoid"  # sigmoid for pixels in [0, 1]
    label_conditioning: Literal["none", "one_hot"] = "none"  # paper 2.3: label into D
    init_std: float = 0.01  # weights ~ N(0, init_std); paper appendix A; 0 = PyTorch default
    activation: Literal["relu", "leaky_relu", "tanh"] = "relu"
    n_classes: int = 10  # supervised / semi_supervised: label categories; clustering: clusters
    input_noise_std: float = 0.0  # Gaussian noise added to the encoder's input while training
    disc_noise_std: float = 0.0  # Gaussian noise added to every discriminator input (training)
    # semi_supervised / clustering / dim_reduction: the style adversary's own input noise (None: as
    # disc_noise_std). Noise on the style adversary's input hides fine structure in z from it,
    # such as clusters a style code could use to carry the class; 0 keeps it sharp while
    # disc_noise_std still keeps the categorical game alive.
    disc_z_noise_std: float | None = None
    # semi_supervised / clustering / dim_reduction: Gaussian noise added to the style z on its way
    # to the decoder in the reconstruction phase (training only). It caps what z can pass to the
    # decoder, so the class has to travel through y; the adversary still sees the clean z.
    style_noise_std: float = 0.0
    # semi_supervised / clustering / dim_reduction: > 0 draws the categorical adversary's real
    # samples from a Concrete (Gumbel-softmax) distribution with uniform logits at this
    # temperature instead of exact one-hots (0: the paper's Cat(y)). Relaxed draws are almost
    # never exactly one-hot, so the adversary cannot win on exactness alone, and it can still see
    # which vertex each draw is near (how often each category is used) without input noise.
    y_prior_temperature: float = 0.0
    # semi_supervised / clustering / dim_reduction: what the decoder reads of q(y|x) when the
    # model reconstructs an input. "softmax" (the paper): the probabilities, which can also carry style
    # in how far they sit from a vertex. "hard": the one-hot of its argmax, with the softmax's
    # gradient (straight-through), so y passes only the choice of class to the decoder. Not in
    # the paper.
    decoder_y: Literal["softmax", "hard"] = "softmax"
    # semi_supervised / clustering / dim_reduction: batch normalisation (BatchNorm1d before each
    # activation) in the autoencoder, never in the discriminators. "encoder": every layer of
    # q(y, z|x), the logits of q(y|x) and the linear z included; "autoencoder": the decoder's
    # hidden layers and its output layer (before the sigmoid) as well. The paper's appendix
    # describes it for SVHN ("autoencoder layers, including the softmax layer of q(y|x), the
    # linear q(z|x) layer and the linear output layer"); "none" (the MNIST setting) is the default.
    # "trunk": the shared hidden layers of q(y, z|x) only; the logits of q(y|x) and z stay
    # unnormalised (not in the paper).
    batch_norm: Literal["none", "trunk", "encoder", "autoencoder"] = "none"
    head_threshold: float = 1.0  # dim_reduction: eta; head pairs closer than this are penalised
    fixed_heads_scale: float = 0.0  # dim_reduction: > 0 fixes W_c = scale * I (needs m = n)


@dataclass(frozen=True)
class PriorConfig:
    type: Literal["gaussian", "mixture", "swiss_roll", "uniform"] = "gaussian"
    std: float = 1.0  # gaussian: std of every dimension (paper section 3 uses 5)
    n_components: int = 10  # mixture / swiss roll: number of components (label segments)
    radius: float = 1.4  # mixture: distance of each petal's centre from the origin
    radial_std: float = 0.5  # mixture: std along the petal's axis
    tangential_std: float = 0.05  # mixture: std across the petal
    roll_scale: float = 3.0  # swiss roll: outer radius
    roll_turns: float = 2.0  # swiss roll: number of turns
    low: float = -1.0  # uniform: lower bound of every dimension
    high: float = 1.0  # uniform: upper bound


@dataclass(frozen=True)
class LossConfig:
    recon: Literal["mse", "bce"] = "mse"  # paper: squared Euclidean error
    recon_weight: float = 1.0
    adv_weight: float = 1.0  # weight of the generator (regularization) loss
    # models with a class code y: factor on the categorical adversary's generator loss, the
    # generator loss being adv_weight * (adv_y_weight * L_y + L_z)
    adv_y_weight: float = 1.0
    # models with a class code y: the categorical generator loss's factor rises linearly from 0
    # to adv_y_weight over the first this many epochs (per mini-batch), so q(y|x) is first shaped
    # by the reconstruction and, with labels, the cross-entropy alone; the categorical
    # discriminator trains from the start (0: the full weight from the first step)
    adv_y_warmup_epochs: float = 0.0
    # models with a class code y: the reconstruction's gradient into q(y|x) (through the y the
    # decoder reads) is scaled by a factor that rises linearly from 0 to 1 over the first this
    # many epochs; the forward pass is unchanged, and z and the trunk get the full gradient
    # through z (0: the full gradient from the first step; not in the paper)
    recon_y_warmup_epochs: float = 0.0
    ce_weight: float = 1.0  # semi_supervised: weight of the cross-entropy on labeled rows


@dataclass(frozen=True)
class OptimConfig:
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr_recon: float = 0.01  # encoder + decoder (paper A.2: 0.01, momentum 0.9)
    lr_disc: float = 0.1  # discriminator (paper A.2: 0.1, momentum 0.1)
    lr_gen: float = 0.1  # encoder as generator (paper A.2: 0.1, momentum 0.1)
    momentum_recon: float = 0.9  # SGD momentum, or Adam beta1, of the reconstruction phase
    momentum_adv: float = 0.1  # SGD momentum, or Adam beta1, of both adversarial phases
    lr_ce: float = 0.1  # semi_supervised: q(y|x) on labeled rows (paper A.2: 0.1, momentum 0.9)
    momentum_ce: float = 0.9
    beta2: float = 0.999  # Adam only
    milestones: tuple[int, ...] = (50, 1000)  # epochs where every lr is multiplied by gamma
    gamma: float = 0.1


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 100
    batch_size: int = 100  # paper appendix A
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # "auto": PyTorch's 'medium' matmul precision (oneDNN on CPU), kept only if a probe on the
    # device shows fp32-level accuracy; "highest": plain fp32 GEMMs; "medium": allow bf16 GEMM
    # inputs (much faster on CPUs with AVX512-BF16/AMX, relative GEMM error ~2e-3).
    matmul_precision: Literal["auto", "highest", "medium"] = "auto"
    eval_every: int = 5  # epochs between held-out evaluations (and always at the end)
    n_eval: int = 2000  # held-out examples used for the prior-match number each evaluation
    # Discriminator steps per mini-batch before the one generator step (the paper: 1). The extra
    # steps reuse the batch's codes, each against its own prior draws; adversarial variants only.
    disc_steps: int = 1
    checkpoint_every: int = 0  # also checkpoint every this many steps (0: at epoch ends only)
    keep_last: int = 2  # epoch checkpoints kept in checkpoints/ besides the latest (0: none)
    best_metric: Literal[
        "val_recon_mse_sum",
        "val_recon_bce_sum",
        "val_c2st_accuracy",
        "val_mmd2",
        "val_error_percent",
        "val_cluster_error_percent",
        "val_neg_elbo",
    ] = "val_recon_mse_sum"  # lower is better; the best evaluated epoch is copied to best.pt
    on_nonfinite: Literal["stop", "rollback"] = "stop"  # rollback: last checkpoint, lr / 2
    # Label-conditioned regularization (model.label_conditioning = "one_hot", paper 2.3):
    # "mixed": each mini-batch row is conditioned on its own label (-1 = unlabeled), so labeled
    # rows weigh as much as their share of the data; "separate": every step also draws a labeled
    # mini-batch of the same size, and the main batch is conditioned as unlabeled, so labeled
    # and unlabeled codes weigh equally in both adversarial steps.
    label_batches: Literal["mixed", "separate"] = "mixed"
    progress: bool = True  # a progress bar with live losses (epoch lines are always printed)
    logger: Literal["jsonl", "tensorboard"] = "jsonl"  # tensorboard: also RUN/tensorboard/


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    prior: PriorConfig = field(default_factory=PriorConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain nested dict (tuples as lists, None values dropped) for TOML/JSON."""
        out = {}
        for f in dataclasses.fields(self):
            section = dataclasses.asdict(getattr(self, f.name))
            out[f.name] = {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in section.items()
                if v is not None
            }
        return out

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def replace(self, **overrides: Any) -> RunConfig:
        """Copy with ``section.key`` overrides, e.g. ``cfg.replace(**{"train.epochs": 5})``."""
        return apply_overrides(self, overrides)


SECTIONS = {f.name: f.type for f in dataclasses.fields(RunConfig)}
_SECTION_CLASSES = {
    "data": DataConfig,
    "model": ModelConfig,
    "prior": PriorConfig,
    "loss": LossConfig,
    "optim": OptimConfig,
    "train": TrainConfig,
}


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"{hint} Valid: {', '.join(sorted(choices))}."


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Check ``value`` against a field's type annotation and convert lists to tuples."""
    origin = get_origin(annotation)
    if origin is Literal:
        choices = get_args(annotation)
        if value not in choices:
            raise ConfigError(
                f"{key} = {value!r} is not a valid choice; use one of: "
                + ", ".join(repr(c) for c in choices)
            )
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(annotation)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(key, value, arg)
            except ConfigError as err:
                errors.append(str(err))
        raise ConfigError(errors[0])
    if origin is tuple:
        (item_type, _) = get_args(annotation)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list of {item_type.__name__}, got {value!r}")
        return tuple(_coerce(f"{key}[{i}]", v, item_type) for i, v in enumerate(value))
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    if annotation in (int, float) and isinstance(value, bool):
        raise ConfigError(f"{key} must be a number, got {value!r}")
    if not isinstance(value, annotation):
        raise ConfigError(
            f"{key} must be of type {annotation.__name__}, got {type(value).__name__} {value!r}"
        )
    return value


def _section_from_dict(name: str, values: dict[str, Any], base: Any) -> Any:
    cls = _SECTION_CLASSES[name]
    hints = typing.get_type_hints(cls)
    valid = [f.name for f in dataclasses.fields(cls)]
    updates = {}
    for key, value in values.items():
        if key not in hints:
            raise ConfigError(f"Unknown key '{name}.{key}'." + _suggest(key, valid))
        updates[key] = _coerce(f"{name}.{key}", value, hints[key])
    section = dataclasses.replace(base, **updates)
    _validate_section(name, section)
    return section


def _validate_section(name: str, section: Any) -> None:
    """Range checks that a type alone cannot express."""
    positive = {
        "model": ["latent_dim", "noise_dim", "n_classes"],
        "prior": ["std", "n_components", "radial_std", "tangential_std", "roll_scale"],
        "train": ["epochs", "batch_size", "eval_every", "n_eval", "disc_steps"],
        "optim": ["lr_recon", "lr_disc", "lr_gen", "lr_ce", "beta2", "gamma"],
    }.get(name, [])
    for key in positive:
        if getattr(section, key) <= 0:
            raise ConfigError(f"{name}.{key} must be > 0, got {getattr(section, key)!r}")
    if name == "model":
        for key in ("encoder_hidden", "decoder_hidden", "disc_hidden"):
            if any(w <= 0 for w in getattr(section, key)):
                raise ConfigError(f"model.{key} widths must be > 0, got {getattr(section, key)}")
    if name == "model":
        for key in (
            "input_noise_std",
            "disc_noise_std",
            "style_noise_std",
            "y_prior_temperature",
            "min_posterior_std",
            "head_threshold",
            "fixed_heads_scale",
            "init_std",
        ):
            if getattr(section, key) < 0:
                raise ConfigError(f"model.{key} must be >= 0, got {getattr(section, key)}")
        if section.disc_z_noise_std is not None and section.disc_z_noise_std < 0:
            raise ConfigError(
                f"model.disc_z_noise_std must be >= 0 or unset, got {section.disc_z_noise_std}"
            )
    if name == "loss":
        for key in (
            "recon_weight",
            "adv_weight",
            "adv_y_weight",
            "adv_y_warmup_epochs",
            "recon_y_warmup_epochs",
            "ce_weight",
        ):
            if getattr(section, key) < 0:
                raise ConfigError(f"loss.{key} must be >= 0, got {getattr(section, key)}")
    if name == "train":
        for key in ("checkpoint_every", "keep_last"):
            if getattr(section, key) < 0:
                raise ConfigError(f"train.{key} must be >= 0, got {getattr(section, key)}")
    if name == "prior" and section.high <= section.low:
        raise ConfigError(f"prior.high ({section.high}) must be greater than prior.low")
    if name == "data" and section.val_size < 0:
        raise ConfigError(f"data.val_size must be >= 0, got {section.val_size}")
    if name == "data" and section.label_seed is not None and section.label_seed < 0:
        raise ConfigError(f"data.label_seed must be >= 0 or unset, got {section.label_seed}")
    if name == "data" and (section.n_train == 0 or section.n_train < -1):
        raise ConfigError(f"data.n_train must be positive or -1 (all), got {section.n_train}")
    if name == "optim":
        for key in ("momentum_recon", "momentum_adv", "momentum_ce"):
            if not 0 <= getattr(section, key) < 1:
                raise ConfigError(f"optim.{key} must be in [0, 1), got {getattr(section, key)}")


def config_from_dict(values: dict[str, Any], base: RunConfig | None = None) -> RunConfig:
    """Build a :class:`RunConfig` from nested dicts, strictly."""
    base = base or RunConfig()
    sections = {}
    for name, section_values in values.items():
        if name not in _SECTION_CLASSES:
            raise ConfigError(f"Unknown section '[{name}]'." + _suggest(name, list(SECTIONS)))
        if not isinstance(section_values, dict):
            raise ConfigError(f"'{name}' must be a table ([{name}]), got {section_values!r}")
        sections[name] = _section_from_dict(name, section_values, getattr(base, name))
    cfg = dataclasses.replace(base, **sections)
    _validate_run(cfg)
    return cfg


_Y_AND_Z_VARIANTS = ("semi_supervised", "clustering", "dim_reduction")


def _validate_run(cfg: RunConfig) -> None:
    if cfg.prior.type in ("mixture", "swiss_roll") and cfg.model.latent_dim != 2:
        raise ConfigError(
            f"prior.type = '{cfg.prior.type}' is a 2-D prior but model.latent_dim = "
            f"{cfg.model.latent_dim}; set model.latent_dim = 2 or use a gaussian/uniform prior."
        )
    if cfg.model.variant == "vae" and cfg.train.disc_steps != 1:
        raise ConfigError(
            f"train.disc_steps = {cfg.train.disc_steps}, but model.variant = 'vae' has no "
            "discriminator; remove train.disc_steps or use an adversarial variant."
        )
    if cfg.model.variant == "vae":
        if cfg.prior.type not in ("gaussian", "mixture"):
            raise ConfigError(
                f"model.variant = 'vae' needs a prior with a closed-form density; prior.type = "
                f"'{cfg.prior.type}' has none here. Use 'gaussian' or 'mixture'."
            )
        if cfg.model.label_conditioning != "none":
            raise ConfigError(
                "model.label_conditioning is for the AAE's discriminator; the "
                "VAE has none. Set it to 'none' or use model.variant = 'aae'."
            )
    if cfg.model.variant in ("supervised", "semi_supervised", "clustering", "dim_reduction"):
        _validate_label_model(cfg)
    if cfg.model.style_noise_std and cfg.model.variant not in _Y_AND_Z_VARIANTS:
        raise ConfigError(
            f"model.style_noise_std = {cfg.model.style_noise_std} needs a model with a class code y "
            f"beside the style z ({', '.join(_Y_AND_Z_VARIANTS)}); model.variant = "
            f"'{cfg.model.variant}' has none. Set model.style_noise_std = 0."
        )
    if cfg.model.y_prior_temperature and cfg.model.variant not in _Y_AND_Z_VARIANTS:
        raise ConfigError(
            f"model.y_prior_temperature = {cfg.model.y_prior_temperature} relaxes the prior of a "
            f"class code y ({', '.join(_Y_AND_Z_VARIANTS)}); model.variant = "
            f"'{cfg.model.variant}' has none. Set model.y_prior_temperature = 0."
        )
    if cfg.model.decoder_y != "softmax" and cfg.model.variant not in _Y_AND_Z_VARIANTS:
        raise ConfigError(
            f"model.decoder_y = '{cfg.model.decoder_y}' sets what the decoder reads of a class code "
            f"y ({', '.join(_Y_AND_Z_VARIANTS)}); model.variant = '{cfg.model.variant}' has none. "
            "Set model.decoder_y = 'softmax'."
        )
    if cfg.model.batch_norm != "none" and cfg.model.variant not in _Y_AND_Z_VARIANTS:
        raise ConfigError(
            f"model.batch_norm = '{cfg.model.batch_norm}' is offered for the models with a class "
            f"code y beside the style z ({', '.join(_Y_AND_Z_VARIANTS)}); model.variant = "
            f"'{cfg.model.variant}' has none. Set model.batch_norm = 'none'."
        )
    if cfg.model.batch_norm != "none" and cfg.train.batch_size < 2:
        raise ConfigError(
            f"model.batch_norm = '{cfg.model.batch_norm}' normalises over the mini-batch, which "
            f"needs at least 2 rows; train.batch_size = {cfg.train.batch_size}. Raise "
            "train.batch_size or set model.batch_norm = 'none'."
        )
    if cfg.model.min_posterior_std and cfg.model.encoder_type != "gaussian":
        raise ConfigError(
            f"model.min_posterior_std = {cfg.model.min_posterior_std} is a floor on the Gaussian "
            f"encoder's posterior std; model.encoder_type = '{cfg.model.encoder_type}' has none. "
            "Set model.encoder_type = 'gaussian' or model.min_posterior_std = 0."
        )
    if cfg.model.disc_z_noise_std is not None and cfg.model.variant not in _Y_AND_Z_VARIANTS:
        raise ConfigError(
            f"model.disc_z_noise_std = {cfg.model.disc_z_noise_std} is the style adversary's input "
            f"noise in a model with a class code y beside the style z ({', '.join(_Y_AND_Z_VARIANTS)}); "
            f"model.variant = '{cfg.model.variant}' has one adversary. Use model.disc_noise_std."
        )
    kind = model_kind(cfg)
    if cfg.train.best_metric == "val_cluster_error_percent" and kind != "clusterer":
        raise ConfigError(
            "train.best_metric = 'val_cluster_error_percent' is for models that cluster without "
            "labels (model.variant = 'clustering', or 'dim_reduction' with data.n_labeled = 0); "
            "use 'val_recon_mse_sum'."
        )
    if cfg.train.best_metric == "val_neg_elbo" and cfg.model.variant != "vae":
        raise ConfigError(
            "train.best_metric = 'val_neg_elbo' is the VAE's objective (model.variant = 'vae'); "
            f"model.variant = '{cfg.model.variant}' has no ELBO. Use 'val_recon_mse_sum'."
        )
    if cfg.train.best_metric == "val_error_percent" and kind != "classifier":
        raise ConfigError(
            "train.best_metric = 'val_error_percent' needs a classifier (model.variant = "
            "'semi_supervised', or 'dim_reduction' with labels); use 'val_recon_mse_sum'."
        )
    if cfg.train.label_batches == "separate" and cfg.model.label_conditioning == "none":
        raise ConfigError(
            "train.label_batches = 'separate' draws labeled batches for the label-conditioned "
            "discriminator; set model.label_conditioning = 'one_hot' or keep 'mixed'."
        )
    if cfg.model.label_conditioning != "none" and cfg.prior.type not in ("mixture", "swiss_roll"):
        raise ConfigError(
            "model.label_conditioning = 'one_hot' needs a prior with one component per label; "
            "set prior.type = 'mixture' or 'swiss_roll'."
        )
    fixed = cfg.model.variant == "dim_reduction" and cfg.model.fixed_heads_scale > 0
    if fixed and cfg.model.n_classes != cfg.model.latent_dim:
        raise ConfigError(
            "model.fixed_heads_scale > 0 fixes W_c = scale * I, which needs model.n_classes "
            f"= model.latent_dim (got {cfg.model.n_classes} and {cfg.model.latent_dim})."
        )


def model_kind(cfg: RunConfig) -> str:
    """ "classifier" (predicts labels), "clusterer" (predicts cluster ids) or "autoencoder"."""
    variant = cfg.model.variant
    if variant == "semi_supervised" or (variant == "dim_reduction" and cfg.data.n_labeled != 0):
        return "classifier"
    if variant in ("clustering", "dim_reduction"):
        return "clusterer"
    return "autoencoder"


def _validate_label_model(cfg: RunConfig) -> None:
    variant = cfg.model.variant
    if cfg.prior.type != "gaussian":
        raise ConfigError(
            f"model.variant = '{variant}' shapes the style code z into a Gaussian; "
            f"set prior.type = 'gaussian' (got '{cfg.prior.type}')."
        )
    if cfg.model.label_conditioning != "none":
        raise ConfigError(
            f"model.variant = '{variant}' gives the label to the decoder, not to the "
            "discriminator; set model.label_conditioning = 'none'."
        )
    if variant != "supervised" and cfg.model.encoder_type != "deterministic":
        raise ConfigError(
            f"model.variant = '{variant}' uses a deterministic q(y, z|x) (as the paper); "
            "set model.encoder_type = 'deterministic'."
        )
    if variant == "supervised" and cfg.data.n_labeled != -1:
        raise ConfigError(
            "model.variant = 'supervised' needs every training label; set data.n_labeled = -1, "
            "or use model.variant = 'semi_supervised' for a labeled subset."
        )
    if variant == "semi_supervised" and cfg.data.n_labeled == 0:
        raise ConfigError(
            "model.variant = 'semi_supervised' needs labeled rows; set data.n_labeled to e.g. "
            "100, 1000 or -1 (all)."
        )


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``section.key=value``; the value is a TOML value, or a bare string."""
    if "=" not in text:
        raise ConfigError(
            f"Override '{text}' must look like section.key=value, e.g. train.epochs=5"
        )
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word, e.g. prior.type=mixture
    return key, value


def apply_overrides(cfg: RunConfig, overrides: dict[str, Any]) -> RunConfig:
    nested: dict[str, dict[str, Any]] = {}
    for dotted, value in overrides.items():
        if "." not in dotted:
            raise ConfigError(
                f"Override key '{dotted}' must be section.key; sections: {', '.join(SECTIONS)}."
            )
        section, key = dotted.split(".", 1)
        nested.setdefault(section, {})[key] = value
    return config_from_dict(nested, base=cfg)


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Load a TOML config (or the defaults when ``path`` is None) and apply ``--set`` overrides."""
    cfg = RunConfig()
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Config file '{path}' does not exist; see the configs/ folder.")
        try:
            values = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise ConfigError(f"Config file '{path}' is not valid TOML: {err}") from None
        cfg = config_from_dict(values)
    if overrides:
        cfg = apply_overrides(cfg, dict(parse_override(o) for o in overrides))
    return cfg


_ALIASES = {"prior": "prior.type"}


def flat_overrides(params: dict[str, Any]) -> dict[str, Any]:
    """Map flat keyword names (``latent_dim=2``, ``epochs=5``, ``prior="mixture"``) to
    ``section.key``; names that occur in several sections must be written as ``section.key``."""
    owners: dict[str, list[str]] = {}
    for section, cls in _SECTION_CLASSES.items():
        for f in dataclasses.fields(cls):
            owners.setdefault(f.name, []).append(section)
    out = {}
    for name, value in params.items():
        if name in _ALIASES:
            out[_ALIASES[name]] = value
        elif "." in name:
            out[name] = value
        elif name not in owners:
            raise ConfigError(f"Unknown parameter '{name}'." + _suggest(name, list(owners)))
        elif len(owners[name]) > 1:
            choices = ", ".join(f"'{s}.{name}'" for s in owners[name])
            raise ConfigError(f"Parameter '{name}' is ambiguous; write one of {choices}.")
        else:
            out[f"{owners[name][0]}.{name}"] = value
    return out
