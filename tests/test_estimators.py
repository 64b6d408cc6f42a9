"""The scikit-learn faces: the estimator contract, pipelines and tabular data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from torch import nn

from torch_aae.errors import ConfigError
from torch_aae.estimators import AAEClusterer, AAEEmbedding

# An AAE may leave some of its clusters empty, so the used cluster ids need not be 0..m-1
# without gaps, which this check assumes (k-means-style estimators fill every cluster).
_NOT_APPLICABLE = {
    "check_clustering": "an AAE may leave clusters empty; used ids need not be consecutive"
}


def _expected_failures(estimator):
    return _NOT_APPLICABLE if isinstance(estimator, AAEClusterer) else {}


@parametrize_with_checks(
    [
        AAEEmbedding(epochs=2, hidden_layer_sizes=(16,), random_state=0),
        AAEClusterer(
            n_clusters=3, style_dim=2, epochs=20, hidden_layer_sizes=(32,), random_state=0
        ),
        AAEClusterer(
            n_clusters=3,
            style_dim=2,
            batch_norm="encoder",
            epochs=5,
            hidden_layer_sizes=(16,),
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_embedding_in_a_pipeline_on_tabular_data():
    X, y = load_digits(return_X_y=True)  # 8x8 digits as 64 tabular features, scale 0..16
    pipe = make_pipeline(
        AAEEmbedding(n_components=8, epochs=15, hidden_layer_sizes=(128,), random_state=0),
        LogisticRegression(max_iter=2000),
    )
    acc = cross_val_score(pipe, X, y, cv=3).mean()
    assert acc > 0.6  # chance is 0.1: the codes keep the class information
    emb = AAEEmbedding(n_components=8, epochs=15, hidden_layer_sizes=(128,), random_state=0)
    Z = emb.fit_transform(X)
    X_back = emb.inverse_transform(Z)
    assert X_back.shape == X.shape
    err, base = np.mean((X_back - X) ** 2), np.mean((X - X.mean(0)) ** 2)
    assert err < 0.8 * base  # better than predicting the column means


def test_clusterer_finds_blobs_and_predict_matches_labels():
    X, y = make_blobs(n_samples=600, centers=4, n_features=5, random_state=0, cluster_std=0.8)
    km = AAEClusterer(
        n_clusters=4, style_dim=2, epochs=40, hidden_layer_sizes=(64,), random_state=0
    )
    km.fit(X)
    assert adjusted_rand_score(y, km.labels_) > 0.8
    assert np.array_equal(km.predict(X), km.labels_)
    proba = km.predict_proba(X)
    assert proba.shape == (600, 4) and np.allclose(proba.sum(1), 1, atol=1e-5)


def test_embedding_on_pixels_with_a_sigmoid_decoder():
    X = MinMaxScaler().fit_transform(load_digits().data[:300])
    emb = AAEEmbedding(
        n_components=2,
        epochs=2,
        hidden_layer_sizes=(32,),
        standardize=False,
        decoder_output="sigmoid",
        random_state=0,
    ).fit(X)
    out = emb.inverse_transform(emb.transform(X))
    assert out.min() >= 0 and out.max() <= 1


def test_clusterer_passes_its_discriminator_noise_to_both_adversaries():
    X, _ = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    km = AAEClusterer(
        n_clusters=3, style_dim=2, epochs=1, hidden_layer_sizes=(16,), disc_noise_std=0.4
    ).fit(X)
    assert km.model_.disc_y.noise_std == 0.4 and km.model_.disc_z.noise_std == 0.4
    assert AAEClusterer().get_params()["disc_noise_std"] == 0.0


def test_clusterer_passes_init_input_noise_and_reconstruction_weight_to_its_model():
    X, _ = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    kw = dict(n_clusters=3, style_dim=2, epochs=1, hidden_layer_sizes=(400,), random_state=0)
    wide = AAEClusterer(init_std=0.05, input_noise_std=0.3, recon_weight=0.1, **kw).fit(X)
    paper = AAEClusterer(**kw).fit(X)

    def first_layer_std(km):  # 400 x 4 weights after one Adam step of 1e-3: measured, not read back
        return float(
            next(m for m in km.model_.trunk.modules() if isinstance(m, nn.Linear))
            .weight.detach()
            .std()
        )

    assert abs(first_layer_std(wide) - 0.05) < 0.005
    assert abs(first_layer_std(paper) - 0.01) < 0.001
    assert wide.model_.input_noise_std == 0.3 and paper.model_.input_noise_std == 0.0
    assert wide._config(60, 0, {}).loss.recon_weight == 0.1
    assert paper._config(60, 0, {}).loss.recon_weight == 1.0
    with pytest.raises(ConfigError, match="loss.recon_weight must be >= 0"):
        AAEClusterer(recon_weight=-1.0, **kw).fit(X)


def test_clusterer_passes_batch_norm_to_its_encoder():
    X, _ = make_blobs(n_samples=60, centers=3, n_features=4, random_state=0)
    kw = dict(n_clusters=3, style_dim=2, epochs=1, hidden_layer_sizes=(16,), random_state=0)
    plain = AAEClusterer(**kw).fit(X)
    normed = AAEClusterer(batch_norm="encoder", **kw).fit(X)
    widths = sorted(
        m.num_features for m in normed.model_.modules() if isinstance(m, nn.BatchNorm1d)
    )
    assert widths == [2, 3, 16]  # the trunk's hidden layer, the style code and the logits
    assert not any(isinstance(m, nn.BatchNorm1d) for m in plain.model_.modules())
    assert not normed.model_.training  # predictions use the running statistics
    assert normed.predict_proba(X[:1]).shape == (1, 3)  # one row predicts (eval mode)
    with pytest.raises(ConfigError, match="model.batch_norm = 'bogus' is not a valid choice"):
        AAEClusterer(batch_norm="bogus", **kw).fit(X)
