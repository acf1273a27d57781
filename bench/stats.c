/* Small statistics shared by the benchmark programs. */
#include <stdlib.h>

#include "stats.h"

static int bs_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bs_pct(double *v, size_t n, double p)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, bs_cmp);
    return v[(size_t)(p * (double)(n - 1) + 0.5)];
}
