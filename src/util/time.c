/* Clocks. Consensus code never calls these: block time comes from signed batches. */
#include <time.h>

#include "medchain/util.h"

uint64_t mc_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t mc_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mc_time_mono_ms(void)
{
    return mc_time_mono_ns() / 1000000u;
}
