"""The device path: metrics and losses on GPU arrays, without a host copy.

Device arrays (CUDA PyTorch tensors, CuPy arrays, JAX arrays on a GPU) are
viewed as PyTorch tensors through DLPack (no copy) and computed on their own
device by one of two backends with the same kernel names and contracts:

``"triton"``
    Triton kernels, the fast default (``segmetrics[gpu]``).
``"torch"``
    Plain PyTorch operations, the obviously correct reference, the device
    analogue of the NumPy backend.

Nothing here is imported by ``import segmetrics``; PyTorch and Triton are
imported when a device array first comes in. With ``SEGMETRICS_GPU_SIMULATE=1``
the Triton kernels run in Triton's CPU interpreter on CPU tensors (see
:mod:`segmetrics._arrays`).
"""
