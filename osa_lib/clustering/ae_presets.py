"""Named presets of the AE estimators: the paper's printed protocol and every reading of it the book measured.

:meth:`AEACRBM.from_reading(name, **overrides) <osa_lib.clustering.ae_acrbm.AEACRBM.from_reading>` and
:meth:`AEKMeans.from_reading <osa_lib.clustering.ae_kmeans.AEKMeans.from_reading>` build them from the
tables here, the one home of the protocol: the book's jobs (:mod:`osa_lib.book.ae_chapter.ae_jobs`) build
every estimator they train from them, and a test checks each preset against the ``params`` kept
in the committed job files of the runs that used it (``results/paper/mnist/ae_jobs/``).

The printed protocol (appendix B, Table 3): one stage (joint training from the first epoch), the
dense AE with Table 3's sizes for ``n_clusters`` (``None`` sizes and betas resolve to them), Adam
(lr 1e-3, Table 3's beta1, beta2 0.999), batch 256, 500 epochs, the mean squared error per pixel as
reconstruction, PyTorch's initialisation; AE + ACRBM with lambda = 1 (our reading: the paper gives
no lambda, 1 weighs the ACRBM loss and the reconstruction equally); AE + K-means with 500 K-means
starts on the standardised ``h_AE`` of 10,000 training rows. A reading changes one thing (or two,
named by its name) of the printed protocol where the paper is silent, so a difference between two
readings is that thing's.

The presets are at the paper's budget (500 epochs; 500 K-means starts). The book's screens ran
the same presets for 100 epochs (and 50 K-means starts): ``from_reading("sum", epochs=100)``;
each job file says under ``job`` which budget it ran. The number of clusters is an override
too: ``AEACRBM.from_reading("printed", n_clusters=30)`` is Table 1's AE + ACRBM (30) row.
"""
from __future__ import annotations

#: Epochs of reconstruction-only pre-training in the reading "pre-train, then ACRBM only" (section 3.1's
#: "trained without considering a reconstruction criterion", read as a second stage): one tenth of
#: Table 3's 500 epochs, half of the 100-epoch screen.
PRETRAIN_EPOCHS = 50

#: Every hyperparameter of the printed protocol per estimator (runtime settings, the seed and the
#: checkpoint are not the protocol's and stay at the estimator's defaults).
PRINTED_PROTOCOL = {
    "AEACRBM": dict(n_clusters=10, architecture="dense", encoder_units=None, latent_dim=None, decoder_units=None,
                    epochs=500, warmup_epochs=0, lam=1.0, ramp_epochs=0, finetune="joint", head_init="random",
                    standardize=False, temperature=1.0, reconstruction="mse", reconstruction_reduction="mean",
                    head_gradient="full", encoder_loss="both", init="pytorch", batch_size=256, lr=1e-3, betas=None),
    "AEKMeans": dict(n_clusters=10, architecture="dense", head_units=10, encoder_units=None, latent_dim=None,
                     decoder_units=None, epochs=500, reconstruction="mse", reconstruction_reduction="mean",
                     init="pytorch", batch_size=256, lr=1e-3, betas=None, kmeans_n_init=500,
                     kmeans_max_samples=10_000, kmeans_space="latent", kmeans_standardize=True,
                     decoder_input="latent_and_head", head_activation="relu"),
}

#: AE + ACRBM's readings, as overrides of :data:`PRINTED_PROTOCOL`. "printed" is the protocol as printed.
ACRBM_READINGS = {
    "printed": {},
    # First screen: lambda, the scale of the reconstruction term, section 3.1's "without a
    # reconstruction criterion", the routing of the ACRBM gradient, the initialisation.
    "lam0.01": dict(lam=0.01),
    "lam0.1": dict(lam=0.1),
    "lam10": dict(lam=10.0),
    "sum": dict(reconstruction_reduction="sum"),
    "bce": dict(reconstruction="bce"),
    "detached": dict(head_gradient="detached"),
    "detached_input": dict(head_gradient="detached_input"),
    "acrbm_encoder": dict(encoder_loss="acrbm"),
    "glorot": dict(init="glorot"),
    # Second screen, readings the text still permits: section 3.1 read as two stages; lambda below the
    # summed-MSE point (1/784), bracketing the optimum of the lambda axis; two combinations; Adam's
    # usual beta1; cross-entropy summed per image.
    "pretrain_acrbm": dict(warmup_epochs=PRETRAIN_EPOCHS, encoder_loss="acrbm"),
    "lam1_3000": dict(lam=1 / 3000),
    "lam1_10000": dict(lam=1 / 10000),
    "sum_detached_input": dict(reconstruction_reduction="sum", head_gradient="detached_input"),
    "sum_glorot": dict(reconstruction_reduction="sum", init="glorot"),
    "beta1_0.9": dict(betas=(0.9, 0.999)),
    "bce_sum": dict(reconstruction="bce", reconstruction_reduction="sum"),
}

#: AE + K-means's readings (it has no ACRBM term). The first four change how its AE trains, screened like
#: AE + ACRBM's (the baseline tuned as hard as the head); the rest change what K-means sees.
AE_KMEANS_READINGS = {
    "printed": {},
    "sum": dict(reconstruction_reduction="sum"),
    "glorot": dict(init="glorot"),
    "beta1_0.9": dict(betas=(0.9, 0.999)),
    "kmeans60k": dict(kmeans_max_samples=None),       # K-means on all 60,000 training codes
    "bottleneck_relu": dict(decoder_input="head", head_activation="relu", kmeans_space="head",
                            kmeans_max_samples=None),
    "bottleneck_linear": dict(decoder_input="head", head_activation="linear", kmeans_space="head",
                              kmeans_max_samples=None),
}

#: The reading table of each estimator.
READING_TABLES = {"AEACRBM": ACRBM_READINGS, "AEKMeans": AE_KMEANS_READINGS}


def _table(estimator: str) -> dict:
    if estimator not in READING_TABLES:
        raise ValueError(f"no presets for {estimator!r}; presets exist for {sorted(READING_TABLES)}")
    return READING_TABLES[estimator]


def reading_overrides(estimator: str, name: str) -> dict:
    """What reading ``name`` changes in ``estimator``'s printed protocol (``{}`` for "printed").

    ``estimator``: "AEACRBM" or "AEKMeans". ValueError naming the readings when ``name`` is not one.
    """
    table = _table(estimator)
    if name not in table:
        raise ValueError(f"unknown reading {name!r} for {estimator}; use one of {sorted(table)}")
    return dict(table[name])


def preset_params(estimator: str, name: str = "printed") -> dict:
    """Every protocol hyperparameter of ``estimator`` under reading ``name``: the printed protocol, overridden."""
    overrides = reading_overrides(estimator, name)
    return {**PRINTED_PROTOCOL[estimator], **overrides}
