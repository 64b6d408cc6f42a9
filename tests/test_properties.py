"""Property tests and fuzzing: the config parser, the IDX reader, priors and metrics."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torch_aae.config import config_from_dict, parse_override
from torch_aae.data.idx import parse_idx
from torch_aae.errors import ConfigError, DataError
from torch_aae.metrics import c2st_accuracy, reconstruction_error
from torch_aae.priors import GaussianPrior, MixturePrior, SwissRollPrior, UniformPrior

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

toml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["data", "model", "prior", "loss", "optim", "train", "modle", "x"]),
        st.dictionaries(st.text(min_size=1, max_size=14), toml_values, max_size=3) | toml_values,
        max_size=3,
    )
)
def test_config_parser_never_crashes(values):
    """Any nested input either builds a config or raises ConfigError, nothing else."""
    try:
        config_from_dict(values)
    except ConfigError as err:
        assert str(err)


@FAST
@given(st.text(max_size=40))
def test_override_parser_never_crashes(text):
    try:
        key, _ = parse_override(text)
        assert isinstance(key, str)
    except ConfigError:
        pass


def _idx(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.astype(np.uint8).tobytes()


@FAST
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.booleans())
def test_idx_round_trip(shape, compress):
    array = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    data = _idx(array)
    if compress:
        data = gzip.decompress(gzip.compress(data))
    np.testing.assert_array_equal(parse_idx(data), array)


@FAST
@given(st.binary(max_size=64))
def test_idx_reader_rejects_garbage_with_data_error(data):
    try:
        out = parse_idx(data)
        assert isinstance(out, np.ndarray)
    except DataError as err:
        assert str(err)


@FAST
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, 200))))
def test_idx_truncation_is_detected(args):
    n, cut = args
    data = _idx(np.ones((n, 7, 3), dtype=np.uint8))
    cut = min(cut, len(data) - 1)
    with pytest.raises(DataError):
        parse_idx(data[:-cut])


priors = st.sampled_from(
    [GaussianPrior(3, 2.0), UniformPrior(2, -1, 3), MixturePrior(10), SwissRollPrior(10)]
)


@FAST
@given(priors, st.integers(1, 300), st.integers(0, 2**31))
def test_priors_sample_shape_finite_and_seeded(prior, n, seed):
    a = prior.sample(n, torch.Generator().manual_seed(seed))
    b = prior.sample(n, torch.Generator().manual_seed(seed))
    assert a.shape == (n, prior.dim) and torch.isfinite(a).all() and torch.equal(a, b)


@FAST
@given(
    st.sampled_from([MixturePrior(10), SwissRollPrior(10), MixturePrior(4)]),
    st.lists(st.integers(-1, 3), min_size=1, max_size=50),
)
def test_conditioned_draws_respect_labels(prior, labels):
    labels = torch.tensor(labels)
    z = prior.sample(len(labels), torch.Generator().manual_seed(0), labels)
    assert z.shape == (len(labels), 2) and torch.isfinite(z).all()
    if isinstance(prior, SwissRollPrior):
        r = z.norm(dim=1)
        k = labels[labels >= 0]
        rk = r[labels >= 0]
        assert (rk >= 3 * torch.sqrt(k / 10) - 1e-4).all()
        assert (rk <= 3 * torch.sqrt((k + 1) / 10) + 1e-4).all()


@FAST
@given(st.integers(1, 20), st.integers(1, 30), st.integers(0, 1000))
def test_reconstruction_error_properties(n, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((n, d))
    assert reconstruction_error(x, x)["mse_sum"] == pytest.approx(0.0, abs=1e-12)
    y = rng.random((n, d))
    err = reconstruction_error(x, y)
    assert err["mse_sum"] >= 0 and err["mse_mean"] == pytest.approx(err["mse_sum"] / d)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_c2st_is_symmetric_in_its_inputs(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(200, 2)), rng.normal(1.5, size=(200, 2))
    assert c2st_accuracy(a, b, seed=0)["accuracy"] > 0.7
    assert c2st_accuracy(b, a, seed=0)["accuracy"] > 0.7


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.sampled_from(["1", "-2.5", "", "nan", "inf", "x", "3e2", " 4 "]), max_size=4),
        max_size=5,
    )
)
def test_csv_reader_never_crashes(tmp_path, rows):
    from torch_aae.data.user import load_user_data

    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join(",".join(r) for r in rows))
    try:
        x, y = load_user_data(path)
    except DataError as err:
        assert str(err)
    else:
        assert x.ndim == 2 and len(x) > 0 and np.isfinite(x).all() and y is None
