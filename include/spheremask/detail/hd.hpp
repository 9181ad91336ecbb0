// SM_HD marks code shared by the host and the CUDA kernels: g++ unit tests exercise exactly
// the functions the kernels run.
#pragma once
#if defined(__CUDACC__)
#define SM_HD __host__ __device__
#else
#define SM_HD
#endif
