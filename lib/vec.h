/*
 * vec.h - IGR_VEC: hot kernels compiled for AVX-512 and AVX2 (with FMA)
 * as well as the baseline, picked at load time (GCC function
 * multi-versioning).  The build does not use -march=native; SpMM gains
 * about 2x from wider vectors, and fmaf() becomes one instruction instead
 * of a libm call.  Elsewhere (clang, other CPUs) it expands to nothing.
 */
#ifndef IGR_VEC_H
#define IGR_VEC_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define IGR_VEC __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define IGR_VEC
#endif

#endif
