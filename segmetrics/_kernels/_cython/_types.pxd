# Element types of the Cython kernels, declared once for every kernel module.
from libc.stdint cimport (int8_t, int16_t, int32_t, int64_t, uint8_t,
                          uint16_t, uint32_t, uint64_t)

ctypedef fused label_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t

ctypedef fused prob_t:
    float
    double
