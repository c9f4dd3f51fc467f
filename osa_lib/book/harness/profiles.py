"""Profiles: ``paper`` (the paper's data sizes and budgets) and ``ci`` (the same code on less).

Every chapter's settings per profile live here, in one home (the runners and the notebook
parameters read them); this module also checks profile names and merges a chapter's settings
with a notebook's overrides.
"""
from __future__ import annotations

from typing import Iterable, Mapping

from osa_lib.book.harness.parameter_types import as_sequence
from osa_lib.book.provenance.records import check_profile

def profile_settings(profiles: Mapping[str, Mapping], profile: str, overrides: Mapping,
                     sequences: Iterable[str] = ()) -> dict:
    """The settings of ``profile`` from ``profiles``, with every non-None entry of ``overrides``.

    Unknown override names raise ValueError (a papermill typo must not silently keep a
    default); the keys in ``sequences`` become tuples and must not be empty.
    """
    settings = dict(profiles[check_profile(profile)])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(settings)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    for key in sequences:
        items = as_sequence(settings[key])      # "[0, 1]" as papermill's -p passes it, or one number
        if not isinstance(items, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                  for v in items):
            raise ValueError(f"{key} must be a list of numbers such as [0, 1], got {settings[key]!r}")
        if not items:
            raise ValueError(f"{key} must not be empty")
        settings[key] = tuple(items)
    return settings


#: What each profile runs for the shallow-ACRBM chapter. ``paper``: the paper's data
#: sizes and Table 3's hyperparameters; ``ci``: the same code on less, so that the
#: chapter executes in about a minute on 2 CPU cores.
CLUSTERING_PROFILES = {
    "paper": dict(n_train=None, n_test=None, epochs=20, seeds=(0, 1, 2, 3, 4), kmeans_n_init=10,
                  sweep_sizes=(2, 5, 10, 20, 30, 50, 100, 200, 300), sweep_seeds=(0, 1, 2), tsne_points=3000,
                  n_validation=10_000, sensitivity_seeds=(0, 1, 2)),
    "ci": dict(n_train=20_000, n_test=None, epochs=20, seeds=(0, 1, 2), kmeans_n_init=3,
               sweep_sizes=(5, 10, 30, 100, 300), sweep_seeds=(0,), tsne_points=1000,
               n_validation=5_000, sensitivity_seeds=(0,)),
}


#: What each profile runs in the derivations chapter. ``ci`` keeps the whole chapter
#: under a minute on 2 CPU cores; ``paper`` uses all of MNIST and Table 3's 20 epochs.
DERIVATION_PROFILES = {
    "ci": dict(n_train=5_000, n_test=5_000, epochs=10, ae_rows=5_000, ae_epochs=10, n_latent=32,
               ae_lr=3e-3, ae_batch_size=128, free_rows=64, free_steps=300, head_start=4.0),
    "paper": dict(n_train=None, n_test=None, epochs=20, ae_rows=20_000, ae_epochs=20, n_latent=32,
                  ae_lr=3e-3, ae_batch_size=128, free_rows=256, free_steps=300, head_start=4.0),
}


#: What each profile runs. ``paper``: the paper's data sizes and Table 3 (500 epochs, 500
#: K-means starts, 5 seeds); ``ci``: the same jobs on subsets, in well under a minute.
AE_PROFILES = {
    "paper": dict(n_train=None, n_test=None, seeds=(0, 1, 2, 3, 4), epochs=500, eval_every=10,
                  kmeans_n_init=500, search_n_fit=20_000, search_n_val=5_000, search_seeds=(0, 1),
                  search_warmup=5, search_finetune=3),
    "ci": dict(n_train=10_000, n_test=2_000, seeds=(0,), epochs=5, eval_every=1, kmeans_n_init=20,
               search_n_fit=5_000, search_n_val=2_000, search_seeds=(0,), search_warmup=3, search_finetune=1),
}


#: What each profile runs. ``paper``: Table 4's optimiser, epochs, batch size and rho, all images,
#: three seeds; ``ci``: the same code on subsets with few epochs (the chapter in a few minutes).
LOC_PROFILES = {
    "paper": dict(image_size=96, n_train=None, n_val=None, n_test=None, seeds=(0, 1, 2), epochs=50,
                  study_epochs=5, batch_size=64, lr=1e-3, betas=(0.9, 0.999), rho=0.5,
                  rho_values=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9),
                  kernel_sizes=(3, 3, 3), strides=(2, 1, 1), filters=(16, 16, 16),
                  kmeans_n_init=3, grabcut_margin=0.1, grabcut_iterations=5),
    "ci": dict(image_size=48, n_train=384, n_val=64, n_test=64, seeds=(0,), epochs=12,
               study_epochs=8, batch_size=64, lr=1e-3, betas=(0.9, 0.999), rho=0.5,
               rho_values=(0.3, 0.5, 0.7),
               kernel_sizes=(3, 3, 3), strides=(2, 1, 1), filters=(16, 16, 16),
               kmeans_n_init=3, grabcut_margin=0.1, grabcut_iterations=5),
}


#: Settings per profile (the sets are small: the paper profile is five seeds in seconds).
DOMAIN_PROFILES = {"paper": dict(seeds=(0, 1, 2, 3, 4), epochs=200), "ci": dict(seeds=(0, 1, 2, 3, 4), epochs=200)}
