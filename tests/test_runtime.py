"""Process-wide runtime settings (osa_lib.runtime)."""
from __future__ import annotations

import pytest
import torch

from osa_lib.runtime import flush_denormal, torch_threads


def test_torch_threads_sets_and_restores():
    before = torch.get_num_threads()
    with torch_threads(3):
        assert torch.get_num_threads() == 3
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(2):
        raise RuntimeError("restored even on errors")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n_threads must be an integer >= 1"), torch_threads(0):
        pass


def test_flush_denormal_flushes_inside_only():
    tiny = torch.tensor([1e-39], dtype=torch.float32)      # a subnormal float32
    with flush_denormal():
        flushed = (tiny * 1.0).item()
    if not torch.set_flush_denormal(False):                 # the CPU cannot flush (no SSE3): nothing to check
        pytest.skip("this CPU does not support flushing denormals")
    assert flushed == 0.0 and (tiny * 1.0).item() != 0.0
