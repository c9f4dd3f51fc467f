"""scikit-learn's own estimator checks (``parametrize_with_checks``) on every public estimator.

The estimators run with tiny settings (a few epochs, a few units) so that the ~50 checks of
each take seconds; the settings change how long a fit takes, not which code runs. The AE +
ACRBM settings are ones under which ``check_clustering`` (an adjusted Rand index above 0.4 on
three blobs, and no empty cluster between used ones) holds: an ACRBM that trains too briefly
can merge two blobs, a matter of training, not of the estimator's API.

LOC segments images (N, 3, H, W), which scikit-learn's checks cannot feed (they draw 2-D
tables): its tags say so (``two_d_array=False``), ``check_estimator`` then skips it, and the
API checks that need no data run on it here by name.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks as checks
from sklearn.utils.estimator_checks import parametrize_with_checks

from osa_lib import AEACRBM, AEKMeans, LOC, ShallowACRBM

TINY_AE = dict(encoder_units=16, latent_dim=8, decoder_units=16, batch_size=16, lr=1e-2, progress=False)
ESTIMATORS = [
    ShallowACRBM(3, epochs=2, batch_size=16, lr=0.05, progress=False),
    AEKMeans(3, epochs=2, kmeans_n_init=2, **TINY_AE),
    AEACRBM(3, epochs=10, lam=1.0, **TINY_AE),
]


# No check is declared an expected failure: each estimator passes all 50 that scikit-learn 1.9
# runs on it (check_array_api_input skips itself unless SCIPY_ARRAY_API is set).
@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


LOC_API_CHECKS = [checks.check_estimator_cloneable, checks.check_estimator_tags_renamed,
                  checks.check_valid_tag_types, checks.check_estimator_repr, checks.check_no_attributes_set_in_init,
                  checks.check_do_not_raise_errors_in_init_or_set_params, checks.check_mixin_order,
                  checks.check_parameters_default_constructible, checks.check_get_params_invariance,
                  checks.check_set_params]


@pytest.mark.parametrize("check", LOC_API_CHECKS, ids=lambda c: c.__name__)
def test_loc_passes_the_api_checks_that_need_no_table(check):
    check("LOC", LOC(epochs=1, progress=False))


def test_loc_declares_image_input_and_is_skipped_by_the_table_checks():
    loc = LOC(epochs=1, progress=False)
    assert loc.__sklearn_tags__().input_tags.two_d_array is False
    assert [c.func.__name__ if hasattr(c, "func") else c.__name__
            for c in checks._yield_all_checks(loc, legacy=True)] == []


def test_loc_clone_and_pickle_keep_its_predictions():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(4, 3, 16, 16)).astype(np.float32)
    loc = LOC(rho=0.0, epochs=1, batch_size=2, progress=False).fit(images)
    again = pickle.loads(pickle.dumps(loc))
    np.testing.assert_array_equal(again.predict_G(images), loc.predict_G(images))
    twin = clone(loc).fit(images)
    np.testing.assert_array_equal(twin.predict_G(images), loc.predict_G(images))
    assert not hasattr(clone(loc), "observer_")


# --------------------------------------------------------------------------- any numeric data, in a Pipeline

def _table(n=90, n_features=5, seed=0):
    """Three blobs of real-valued features on wildly different scales (not pixels, not [0, 1])."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, n_features)) + 4.0 * np.eye(3, n_features)[y]
    return X * np.logspace(-2, 3, n_features) - 7.0, y


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pipeline_after_a_scaler_with_pandas_output_pickle_and_clone(estimator):
    pd = pytest.importorskip("pandas")
    X, _ = _table()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    pipe = make_pipeline(StandardScaler(), clone(estimator)).set_output(transform="pandas")
    labels = pipe.fit(frame).predict(frame)
    assert labels.shape == (len(X),) and labels.dtype == np.int64
    codes = pipe.transform(frame)
    name = type(estimator).__name__.lower()
    assert isinstance(codes, pd.DataFrame) and list(codes.columns) == [f"{name}{i}" for i in range(codes.shape[1])]
    np.testing.assert_array_equal(pipe[-1].feature_names_in_, frame.columns)   # the scaler hands on the names
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict(frame), labels)
    np.testing.assert_array_equal(again.transform(frame).to_numpy(), codes.to_numpy())
    np.testing.assert_array_equal(clone(pipe).fit(frame).predict(frame), labels)   # same seed, same model
