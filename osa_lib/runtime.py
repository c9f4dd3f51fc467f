"""Process-wide runtime settings for chapters and scripts."""
from __future__ import annotations

from osa_lib.validation import check_int


def limit_threads(n_threads: int) -> None:
    """Use ``n_threads`` threads in torch and in the BLAS/OpenMP pools (numpy, scikit-learn).

    The book's models are small: one thread is usually fastest, and on a shared
    machine several threads per process oversubscribe the cores (measured: a linear
    autoencoder fit went from 0.6 s to 62 s). Results depend on the thread count
    (floating-point reduction order), so records store it with the device.
    """
    import torch
    from threadpoolctl import threadpool_limits

    n_threads = check_int(n_threads, "n_threads")
    torch.set_num_threads(n_threads)
    threadpool_limits(limits=n_threads)
