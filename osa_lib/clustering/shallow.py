"""scikit-learn-style estimators over numpy arrays (STYLE §4).

``__init__`` only stores hyperparameters; ``fit`` validates, builds the torch module
into ``module_`` and trains it; learned state ends in ``_``.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from osa_lib.acrbm import ACRBM, acrbm_loss, confidence_loss, n_parameters
from osa_lib.train import run_epochs, seeded_generator
from osa_lib.validation import check_float, check_int, check_unit_interval

__all__ = ["LOSSES", "ShallowACRBM", "check_unit_interval"]


#: The training objectives ``ShallowACRBM(loss=...)`` accepts: the paper's eq 13-14
#: (the default) and eq 15 as printed (for the derivations chapter's comparison).
LOSSES = {"acrbm": acrbm_loss, "confidence": confidence_loss}


class ShallowACRBM(ClusterMixin, BaseEstimator):
    """Shallow ACRBM clustering (paper section 2.1, Table 1), trained on eq 14 alone.

    (``loss="confidence"`` trains on eq 15 instead; that objective admits a collapsed
    solution and is offered for the derivations chapter's comparison only.)

    Parameters
    ----------
    n_clusters : int, default 10
        ``K`` >= 2, hidden units = clusters.
    epochs : int, default 20
        Passes over the training set (Table 3).
    batch_size : int, default 256
    lr : float, default 1e-2
        Adam learning rate (Table 3).
    betas : tuple of two floats, default (0.01, 0.999)
        Adam's beta1 and beta2 (Table 3: beta1 = 0.01).
    random_state : int or None, default 0
        Seeds the weight initialisation and the batch order. The same seed on the
        CPU gives the same model.
    device : str or torch.device, default "cpu"
    progress : bool, default True
        Show a tqdm bar over epochs during ``fit``.
    loss : {"acrbm", "confidence"}, default "acrbm"
        The training objective: ``"acrbm"`` is eq 13-14 (:func:`osa_lib.acrbm.acrbm_loss`),
        ``"confidence"`` is eq 15 as printed (:func:`osa_lib.acrbm.confidence_loss`).

    Attributes
    ----------
    module_ : ACRBM
    history_ : list of float, the mean training loss (eq 14, or eq 15) of every epoch
    n_features_in_ : int
    n_parameters_ : int, ``V*K + K``
    labels_ : ndarray of shape (n_samples,), cluster of each training example
    """

    def __init__(self, n_clusters=10, *, epochs=20, batch_size=256, lr=1e-2, betas=(0.01, 0.999),
                 random_state=0, device="cpu", progress=True, loss="acrbm"):
        self.n_clusters = n_clusters
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.random_state = random_state
        self.device = device
        self.progress = progress
        self.loss = loss

    def _validate_params(self) -> None:
        check_int(self.n_clusters, "n_clusters", minimum=2)
        check_int(self.epochs, "epochs")
        check_int(self.batch_size, "batch_size")
        check_float(self.lr, "lr", positive=True)
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")

    def fit(self, X, y=None):
        """Train on rows ``X`` of shape (n_samples, n_features) in [0, 1]; ``y`` is ignored."""
        self._validate_params()
        X = check_unit_interval(X)
        device = torch.device(self.device)
        generator = seeded_generator(self.random_state)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(generator.initial_seed()))
            module = ACRBM(X.shape[1], self.n_clusters)
        module.to(device)
        data = torch.from_numpy(X).to(device)
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr, betas=tuple(self.betas), fused=True)

        objective = LOSSES[self.loss]   # eq 14 (default) or eq 15

        def batch_loss(idx):
            return objective(module(data.index_select(0, idx.to(device))))

        module.train()
        # Confident softmax rows hold subnormal floats, which make CPU kernels ~25 %
        # slower; flushing them to zero changes no result we could measure.
        torch.set_flush_denormal(True)
        try:
            self.history_ = run_epochs(batch_loss, optimizer, len(X), epochs=self.epochs,
                                       batch_size=self.batch_size, generator=generator,
                                       desc=f"ShallowACRBM(K={self.n_clusters}, loss={self.loss})",
                                       progress=self.progress)
        finally:
            torch.set_flush_denormal(False)
        module.eval()
        self.module_ = module
        self.n_features_in_ = X.shape[1]
        self.n_parameters_ = n_parameters(module)
        self.labels_ = self.transform(X).argmax(axis=1)
        return self

    @torch.no_grad()
    def transform(self, X) -> np.ndarray:
        """Soft codes ``h`` (eq 8), shape (n_samples, n_clusters), rows sum to 1."""
        check_is_fitted(self, "module_")
        X = check_unit_interval(X, n_features=self.n_features_in_)
        device = next(self.module_.parameters()).device
        out = [self.module_(torch.from_numpy(X[s:s + 8192]).to(device)).cpu() for s in range(0, len(X), 8192)]
        return torch.cat(out).numpy()

    def predict(self, X) -> np.ndarray:
        """Cluster id of each row: the argmax of ``h``; int64 of shape (n_samples,)."""
        return self.transform(X).argmax(axis=1).astype(np.int64)

    @torch.no_grad()
    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions ``sigmoid(h W^T)`` (eq 9), shape (n_samples, n_features)."""
        h = torch.from_numpy(self.transform(X)).to(next(self.module_.parameters()).device)
        return self.module_.reconstruct(h).cpu().numpy()
