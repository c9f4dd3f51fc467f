"""scikit-learn-style estimators over numpy arrays (scikit-learn's estimator conventions).

``__init__`` only stores hyperparameters; ``fit`` validates, builds the torch module
into ``module_`` and trains it; learned state ends in ``_``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tqdm import tqdm

from osa_lib.acrbm import ACRBM, acrbm_loss, confidence_loss, loss_and_logit_grad, softmax_rows
from osa_lib.runtime import flush_denormal, torch_threads
from osa_lib.train import n_parameters, seeded_generator, seeded_module
from osa_lib.validation import check_betas, check_float, check_int, store_init_arguments, validate_rows

__all__ = ["LOSSES", "ShallowACRBM"]


#: The training objectives ``ShallowACRBM(loss=...)`` accepts: the paper's eq 13-14
#: (the default) and eq 15 as printed (for the derivations chapter's comparison).
LOSSES = {"acrbm": acrbm_loss, "confidence": confidence_loss}


class _Adam:
    """Adam (Kingma & Ba; ``torch.optim.Adam``'s update, eps outside the square root) on one tensor, in place."""

    def __init__(self, param: torch.Tensor, lr: float, betas, eps: float = 1e-8):
        self.param, self.lr, self.eps = param, float(lr), float(eps)
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.exp_avg = torch.zeros_like(param)
        self.exp_avg_sq = torch.zeros_like(param)
        self.steps = 0

    def step(self, grad: torch.Tensor) -> None:
        self.steps += 1
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        denom = self.exp_avg_sq.sqrt().div_(math.sqrt(1 - self.beta2 ** self.steps)).add_(self.eps)
        self.param.addcdiv_(self.exp_avg, denom, value=-self.lr / (1 - self.beta1 ** self.steps))


class ShallowACRBM(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """Shallow ACRBM clustering (paper section 2.1, Table 1), trained on eq 14 alone.

    (``loss="confidence"`` trains on eq 15 instead; that objective admits a collapsed
    solution and is offered for the derivations chapter's comparison only.)

    ``X`` is any real-valued array of shape (n_samples, n_features): MNIST's pixels scaled to
    [0, 1] in the book's chapters, a scaler's output in a ``Pipeline``, any feature table. Only
    the eq 9 reconstruction (:meth:`reconstruct`) is tied to [0, 1]: it is a sigmoid, so it can
    reproduce the part of ``X`` that lies in (0, 1) and no more. Inputs are checked by
    scikit-learn's ``validate_data`` (no NaN / inf, no sparse or complex data, at least 2 rows
    to fit); the transform's output is float32 (``preserves_dtype = ["float32"]``).

    Parameters
    ----------
    n_clusters : int, default 10
        ``K`` >= 1, hidden units = clusters (1: the trivial model, every row in cluster 0).
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
        Training uses their hand-written gradients (:func:`osa_lib.acrbm.loss_and_logit_grad`).
    n_threads : int or None, default 1
        torch threads while fitting on the CPU (restored afterwards); None keeps torch's
        setting. A batch's work (256 x 784 x K) is too small to share: with 2 threads on
        2 busy cores a step took 30x longer. One thread also makes the fitted model the
        same on every machine, whatever its core count.

    Attributes
    ----------
    module_ : ACRBM
    history_ : list of float, the mean training loss (eq 14, or eq 15) of every epoch
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when ``X`` had string column names (a DataFrame)
    n_parameters_ : int, ``V*K + K``
    labels_ : ndarray of shape (n_samples,), cluster of each training example
    """

    def __init__(self, n_clusters=10, *, epochs=20, batch_size=256, lr=1e-2, betas=(0.01, 0.999),
                 random_state=0, device="cpu", progress=True, loss="acrbm", n_threads=1):
        store_init_arguments(self, locals())

    def _validate_params(self) -> None:
        check_int(self.n_clusters, "n_clusters", minimum=1)
        check_int(self.epochs, "epochs")
        check_int(self.batch_size, "batch_size")
        check_float(self.lr, "lr", positive=True)
        check_betas(self.betas)
        if self.n_threads is not None:
            check_int(self.n_threads, "n_threads")
        if not isinstance(self.loss, str) or self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {self.loss!r}")

    def fit(self, X, y=None):
        """Train on rows ``X`` of shape (n_samples, n_features), any real values; ``y`` is ignored."""
        self._validate_params()
        X = validate_rows(self, X, reset=True)
        device = torch.device(self.device)
        generator = seeded_generator(self.random_state)
        module = seeded_module(lambda: ACRBM(X.shape[1], self.n_clusters), generator)
        module.to(device)
        data = torch.from_numpy(X).to(device)
        module.train()
        threads = self.n_threads if device.type == "cpu" else None
        with torch_threads(threads), flush_denormal(), torch.no_grad():
            self.history_ = self._train(module, data, generator)
        module.eval()
        self.module_ = module
        self.n_parameters_ = n_parameters(module)
        self.labels_ = self._codes(X).argmax(axis=1)
        return self

    def _train(self, module: ACRBM, data: torch.Tensor, generator: torch.Generator) -> list[float]:
        """Mini-batch Adam on eq 14 (or eq 15) with the hand-written gradient; the mean loss of each epoch.

        The same schedule as :func:`osa_lib.train.run_epochs` (a seeded permutation per epoch,
        the last smaller batch kept, ``FloatingPointError`` on a non-finite epoch loss), but
        no autograd and no optimizer object: a step is ~25 tensor operations, about 5x
        faster than autograd plus ``torch.optim.Adam`` (issue 8). The parameters live in
        one (K, V + 1) tensor ``[W^T | b]``, so one Adam update covers both; Adam is
        elementwise, so this is the same update as on two tensors. Cluster-major layouts
        (``z^T = W^T v^T``) make both products about 1.6x faster than ``v W``.
        """
        n, n_visible = data.shape
        params = torch.cat([module.weight.T, module.hidden_bias[:, None]], dim=1).contiguous()   # (K, V + 1)
        weight_t, bias = params[:, :n_visible], params[:, n_visible:]
        adam = _Adam(params, self.lr, self.betas)
        history = []
        desc = f"ShallowACRBM(K={self.n_clusters}, loss={self.loss})"
        for epoch in tqdm(range(self.epochs), desc=desc, disable=not self.progress, leave=False):
            order = torch.randperm(n, generator=generator).to(data.device)
            summed = torch.zeros((), device=data.device)
            for start in range(0, n, self.batch_size):
                v = data.index_select(0, order[start:start + self.batch_size])             # (B, V)
                h = softmax_rows(torch.addmm(bias, weight_t, v.T).T)                       # (B, K), eq 8
                value, dz = loss_and_logit_grad(h, self.loss)
                dz_t = dz.T                                                                 # (K, B)
                adam.step(torch.cat([dz_t @ v, dz_t.sum(dim=1, keepdim=True)], dim=1))
                summed += value * len(v)
            history.append(summed.item() / n)
            if not np.isfinite(history[-1]):
                raise FloatingPointError(f"{desc}: the loss became {history[-1]} in epoch {epoch + 1}")
        module.weight.copy_(weight_t.T)
        module.hidden_bias.copy_(bias[:, 0])
        return history

    @property
    def _n_features_out(self) -> int:
        # Read from the fitted module, so that get_feature_names_out refuses an unfitted model.
        return self.module_.n_clusters

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]     # torch computes in float32
        return tags

    @torch.no_grad()
    def _codes(self, X: np.ndarray) -> np.ndarray:
        """``h`` of validated rows, (n_samples, n_clusters) float32, never wrapped by ``set_output``."""
        device = next(self.module_.parameters()).device
        out = [self.module_(torch.from_numpy(X[s:s + 8192]).to(device)).cpu() for s in range(0, len(X), 8192)]
        return torch.cat(out).numpy()

    def transform(self, X) -> np.ndarray:
        """Soft codes ``h`` (eq 8), shape (n_samples, n_clusters), rows sum to 1."""
        check_is_fitted(self, "module_")
        return self._codes(validate_rows(self, X, reset=False))

    def predict(self, X) -> np.ndarray:
        """Cluster id of each row: the argmax of ``h``; int64 of shape (n_samples,)."""
        check_is_fitted(self, "module_")
        return self._codes(validate_rows(self, X, reset=False)).argmax(axis=1).astype(np.int64)

    @torch.no_grad()
    def reconstruct(self, X) -> np.ndarray:
        """Reconstructions ``sigmoid(h W^T)`` (eq 9), shape (n_samples, n_features), values in (0, 1)."""
        check_is_fitted(self, "module_")
        h = torch.from_numpy(self._codes(validate_rows(self, X, reset=False)))
        return self.module_.reconstruct(h.to(next(self.module_.parameters()).device)).cpu().numpy()
