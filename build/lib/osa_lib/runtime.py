"""Process-wide runtime settings for chapters and scripts."""
from __future__ import annotations

from contextlib import contextmanager

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


@contextmanager
def torch_threads(n_threads: int | None):
    """Run the block with ``n_threads`` torch intra-op threads, then restore the setting (None: leave it)."""
    import torch

    if n_threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(check_int(n_threads, "n_threads"))
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def flush_denormal():
    """Run the block with subnormal floats flushed to zero on the CPU, then restore the default.

    Confident softmax rows hold subnormal floats, which make CPU kernels several times
    slower (measured: a 256 x 784 x 10 product went from 0.12 ms to 0.83 ms per call);
    flushing them changes no result we could measure.
    """
    import torch

    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
