"""The maths behind the derivations chapter (paper section 2.1, eq 8-16): free codes, symbolic checks, read-outs.

Shapes: ``B`` rows in a batch, ``V`` visible units, ``K`` clusters (hidden units).
``W`` is the ACRBM weight of shape (V, K); ``H`` are codes of shape (B, K) whose rows
sum to 1.
"""
from __future__ import annotations

import numpy as np
import torch

from osa_lib.clustering import codes
from osa_lib.clustering.shallow import LOSSES
from osa_lib.metrics import cluster_accuracy
from osa_lib.train import seeded_generator
from osa_lib.validation import check_int

# --------------------------------------------------------------------------- eq 13-15 on free codes

def _loss_fn(loss: str):
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)}, got {loss!r}")
    return LOSSES[loss]


def minimise_free_codes(n_rows: int, n_clusters: int, *, loss: str = "acrbm", steps: int = 300,
                        lr: float = 0.1, init_std: float = 1.0, logit_offset=None,
                        random_state: int | None = 0, device="cpu") -> tuple[np.ndarray, list[float]]:
    """Gradient descent (Adam) on free logits ``Z`` (B, K), ``h = softmax(Z)``, no data at all.

    This isolates what a loss rewards: the minimisers it reaches when ``h`` may be
    anything. ``loss`` is ``"acrbm"`` (eq 13-14) or ``"confidence"`` (eq 15). The
    logits start i.i.d. normal(0, init_std) from a generator seeded with ``random_state``,
    plus ``logit_offset`` (K,) added to every row when given (e.g. a head start for one
    cluster, to start near the collapsed solution).

    Returns ``(h, history)``: the final codes as float64 numpy (B, K) and the loss
    after every step (``steps + 1`` values, the first at initialisation).
    """
    objective = _loss_fn(loss)
    check_int(n_rows, "n_rows")
    check_int(steps, "steps")
    check_int(n_clusters, "n_clusters", minimum=2)
    if not (np.isfinite(lr) and lr > 0) or not (np.isfinite(init_std) and init_std > 0):
        raise ValueError(f"lr and init_std must be positive numbers, got {lr!r}, {init_std!r}")
    generator = seeded_generator(random_state)
    device = torch.device(device)
    start = torch.randn(int(n_rows), int(n_clusters), generator=generator, dtype=torch.float64) * float(init_std)
    if logit_offset is not None:
        offset = torch.as_tensor(np.asarray(logit_offset, dtype=np.float64))
        if offset.shape != (int(n_clusters),) or not torch.isfinite(offset).all():
            raise ValueError(f"logit_offset must be {int(n_clusters)} finite numbers, got shape {tuple(offset.shape)}")
        start = start + offset
    logits = start.to(device).requires_grad_(True)
    optimizer = torch.optim.Adam([logits], lr=lr)
    history = []
    for _ in range(int(steps)):
        value = objective(torch.softmax(logits, dim=1))
        history.append(float(value.detach()))
        optimizer.zero_grad(set_to_none=True)
        value.backward()
        optimizer.step()
    with torch.no_grad():
        h = torch.softmax(logits, dim=1)
        history.append(float(objective(h)))
    return h.cpu().numpy(), history


#: The two starting points of :func:`free_code_runs`.
FREE_CODE_STARTS = ("random start", "head start for cluster 0")


def free_code_runs(n_rows: int, n_clusters: int, *, steps: int = 300, head_start: float = 4.0, lr: float = 0.1,
                   random_state: int | None = 0, device="cpu") -> dict[tuple[str, str], dict]:
    """Eq 14 and eq 15 each minimised over free codes from two starts (:func:`minimise_free_codes`).

    The starts are i.i.d. normal logits, and the same logits with ``head_start`` added
    to cluster 0 (so most rows start in cluster 0, near the collapsed code). Both losses
    see the same starting logits. Returns ``{(loss, start): {"h", "history"}}`` with
    ``loss`` in ``("eq 14", "eq 15")`` and ``start`` in :data:`FREE_CODE_STARTS`.
    """
    offset = np.zeros(int(n_clusters))
    offset[0] = float(head_start)
    runs = {}
    for loss, label in (("acrbm", "eq 14"), ("confidence", "eq 15")):
        for start, logit_offset in zip(FREE_CODE_STARTS, (None, offset)):
            h, history = minimise_free_codes(n_rows, n_clusters, loss=loss, steps=steps, lr=lr,
                                             logit_offset=logit_offset, random_state=random_state, device=device)
            runs[(label, start)] = {"h": h, "history": history}
    return runs


def code_summary(H) -> dict[str, float]:
    """Read-outs of codes ``H`` (B, K): cluster usage, mean and least confidence (max of a row), eq 14 and eq 15."""
    H = np.asarray(H, dtype=np.float64)
    return {"cluster_usage": codes.cluster_usage(H), "mean_confidence": codes.mean_confidence(H),
            "least_confidence": float(H.max(axis=1).min()), **loss_values(H)}


def one_hot_codes(labels, n_clusters: int) -> np.ndarray:
    """Codes (B, K) with a single 1 per row at ``labels[b]``."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 1 or labels.size < 1 or labels.min() < 0 or labels.max() >= n_clusters:
        raise ValueError(f"labels must be a non-empty 1-D array of integers in [0, {n_clusters}), got {labels}")
    return np.eye(n_clusters)[labels]


def loss_values(H) -> dict[str, float]:
    """Eq 14 and eq 15 (as losses, >= 0) at codes ``H`` (B, K): ``{"eq14": ..., "eq15": ...}``."""
    h = torch.as_tensor(np.asarray(H, dtype=np.float64))
    return {"eq14": float(LOSSES["acrbm"](h)), "eq15": float(LOSSES["confidence"](h))}


def symbolic_codes(n_rows: int, n_clusters: int):
    """A sympy matrix ``h`` (B, K) of symbols whose rows sum to 1 (the last column is 1 - the others).

    Returns ``(h, free)``: the matrix and the list of its free symbols ``h_b_j``
    (``j < K - 1``), declared real.
    """
    import sympy as sp

    if n_rows < 1 or n_clusters < 2:
        raise ValueError(f"need n_rows >= 1 and n_clusters >= 2, got {n_rows}, {n_clusters}")
    free = [[sp.Symbol(f"h_{b + 1}{j + 1}", real=True) for j in range(n_clusters - 1)] for b in range(n_rows)]
    rows = [row + [1 - sum(row)] for row in free]
    return sp.Matrix(rows), [s for row in free for s in row]


def symbolic_eta_diagonal(h):
    """``eta_ii = u_ii / sum_j u_ij`` with ``u = h^T h`` (eq 13), simplified, for a sympy matrix ``h``."""
    import sympy as sp

    u = h.T * h
    return [sp.simplify(u[i, i] / sum(u[i, j] for j in range(u.shape[1]))) for i in range(u.shape[0])]


def symbolic_eta_identity(n_rows: int, n_clusters: int) -> list:
    """Residuals of ``(1 - eta_ii) * sum_b h_bi - sum_b h_bi (1 - h_bi)`` for symbolic codes, simplified.

    All zero is the proof step of eq 14's minimisers: with rows summing to 1,
    ``1 - eta_ii = sum_b h_bi (1 - h_bi) / sum_b h_bi >= 0``.
    """
    import sympy as sp

    h, _ = symbolic_codes(n_rows, n_clusters)
    eta = symbolic_eta_diagonal(h)
    out = []
    for i in range(n_clusters):
        column = [h[b, i] for b in range(n_rows)]
        out.append(sp.simplify((1 - eta[i]) * sum(column) - sum(x * (1 - x) for x in column)))
    return out


def symbolic_eq15_parts(h):
    """Eq 15's numerator ``sum_bj h_bj^2`` and denominator ``sum_bjk h_bj h_bk``, simplified."""
    import sympy as sp

    B, K = h.shape
    numerator = sum(h[b, j] ** 2 for b in range(B) for j in range(K))
    denominator = sum(h[b, j] * h[b, k] for b in range(B) for j in range(K) for k in range(K))
    return sp.simplify(numerator), sp.simplify(denominator)


# --------------------------------------------------------------------------- eq 10-12 and 16

def logit(v, clip: float | None = None) -> np.ndarray:
    """``sigma^{-1}(v) = log(v / (1 - v))`` in float64 (eq 10's inverse of the sigmoid).

    Values must lie strictly in (0, 1) unless ``clip`` in (0, 0.5) is given, which first
    clips them to ``[clip, 1 - clip]`` (needed for data with exact 0 and 1 pixels).
    """
    v = np.asarray(v, dtype=np.float64)
    if clip is not None:
        if not 0 < clip < 0.5:
            raise ValueError(f"clip must lie in (0, 0.5), got {clip!r}")
        v = np.clip(v, clip, 1 - clip)
    if not np.all((v > 0) & (v < 1)):
        raise ValueError("logit needs values strictly inside (0, 1); pass clip= for data with 0 or 1 entries")
    return np.log(v) - np.log1p(-v)


def acrbm_weight(model) -> np.ndarray:
    """The weight ``W`` (V, K) of a fitted :class:`ShallowACRBM` (or an ACRBM module) as float64 numpy."""
    module = getattr(model, "module_", model)
    return module.weight.detach().cpu().double().numpy()


def squared_form_comparison(W, H, V=None, *, clip: float | None = None) -> dict[str, float]:
    """The two sides of eq 11/16: ``left = W (h^T h) W^T`` and ``right = sigma^{-1}(v)^T sigma^{-1}(v)``, both (V, V).

    ``W`` (V, K), ``H`` (B, K). With ``V=None`` the right side uses the model's own
    reconstruction ``v_hat = sigmoid(H W^T)``, computed in float64, so the identity is
    exact and the gap is rounding error. With data rows ``V`` (B, V) it measures how far
    the data are from anything eq 9 can produce (``clip`` as in :func:`logit`).

    Returns ``relative_gap = ||left - right||_F / ||right||_F``, ``norm_ratio =
    ||left||_F / ||right||_F`` and ``cosine = <left, right>_F / (||left|| ||right||)``
    (1 when the sides agree up to a positive scale).
    """
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    if W.ndim != 2 or H.ndim != 2 or H.shape[1] != W.shape[1]:
        raise ValueError(f"need W (V, K) and H (B, K) with the same K, got {W.shape} and {H.shape}")
    if V is None:
        Z = logit(1.0 / (1.0 + np.exp(-(H @ W.T))))      # sigma^{-1}(sigma(h W^T)), (B, V)
    else:
        V = np.asarray(V, dtype=np.float64)
        if V.shape != (H.shape[0], W.shape[0]):
            raise ValueError(f"V must have shape {(H.shape[0], W.shape[0])}, got {V.shape}")
        Z = logit(V, clip=clip)
    left = W @ (H.T @ H) @ W.T
    right = Z.T @ Z
    l_norm, r_norm = np.linalg.norm(left), np.linalg.norm(right)
    return {"relative_gap": float(np.linalg.norm(left - right) / r_norm),
            "norm_ratio": float(l_norm / r_norm),
            "cosine": float(np.sum(left * right) / (l_norm * r_norm))}


def gram_summary(H, rel_tol: float = 1e-3) -> dict[str, float]:
    """How diagonal ``D = h^T h`` is (eq 13's ``u``, eq 16's ``D``), for codes ``H`` (B, K).

    Keys: ``diagonal_mass`` (trace / sum, :func:`osa_lib.clustering.codes.diagonal_mass`);
    ``offdiag_norm_share`` (``||D - diag D||_F / ||D||_F``); ``offdiag_small_fraction``
    (share of the ``K^2 - K`` off-diagonal entries below ``rel_tol * max D``).
    """
    D = codes.code_gram(H)
    off = D - np.diag(np.diag(D))
    mask = ~np.eye(D.shape[0], dtype=bool)
    return {"diagonal_mass": codes.diagonal_mass(H),
            "offdiag_norm_share": float(np.linalg.norm(off) / np.linalg.norm(D)),
            "offdiag_small_fraction": float((D[mask] < rel_tol * D.max()).mean())}


# --------------------------------------------------------------------------- eq 14 vs eq 15, trained

def readout(model, X, y) -> dict:
    """What a fitted clusterer does on rows ``X`` with labels ``y``.

    Keys: ``cluster_usage`` and ``mean_confidence`` (:mod:`osa_lib.clustering.codes`),
    ``accuracy_majority`` (:func:`osa_lib.metrics.cluster_accuracy`), ``cluster_sizes``
    (rows per argmax cluster, int array of length K) and ``diagonal_mass``
    (:func:`osa_lib.clustering.codes.diagonal_mass` of the codes, which is ``exp(-eq 15)``).
    """
    H = model.transform(X)
    pred = H.argmax(axis=1)
    return {"cluster_usage": codes.cluster_usage(H),
            "mean_confidence": codes.mean_confidence(H),
            "accuracy_majority": cluster_accuracy(y, pred, mapping="majority"),
            "cluster_sizes": np.bincount(pred, minlength=H.shape[1]),
            "diagonal_mass": codes.diagonal_mass(H)}
