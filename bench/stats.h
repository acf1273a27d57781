/* Small statistics shared by the benchmark programs. */
#ifndef MEDCHAIN_BENCH_STATS_H
#define MEDCHAIN_BENCH_STATS_H

#include <stddef.h>

/* The @p p quantile (0..1, nearest rank) of @p v[0..n); sorts @p v in place. 0 when n is 0. */
double bs_pct(double *v, size_t n, double p);

#endif
