"""Fixtures shared by the DYNAP-CNN test modules (import them into a module to use them there)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Small tensors: torch's thread pool only costs time, and under xdist the two workers share two cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
