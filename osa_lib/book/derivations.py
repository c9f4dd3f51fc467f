"""Runner of the derivations chapter: its settings per profile and the record its checks write."""
from __future__ import annotations

from osa_lib.book.profiles import profile_settings

#: What each profile runs in the derivations chapter. ``ci`` keeps the whole chapter
#: under a minute on 2 CPU cores; ``paper`` uses all of MNIST and Table 3's 20 epochs.
DERIVATION_PROFILES = {
    "ci": dict(n_train=5_000, n_test=5_000, epochs=10, ae_rows=5_000, ae_epochs=10, n_latent=32,
               ae_lr=3e-3, ae_batch_size=128, free_rows=64, free_steps=300, head_start=4.0),
    "paper": dict(n_train=None, n_test=None, epochs=20, ae_rows=20_000, ae_epochs=20, n_latent=32,
                  ae_lr=3e-3, ae_batch_size=128, free_rows=256, free_steps=300, head_start=4.0),
}


def derivation_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    return profile_settings(DERIVATION_PROFILES, profile, overrides)
