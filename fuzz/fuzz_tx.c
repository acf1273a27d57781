/*
 * libFuzzer target: one transaction (mc_tx_decode) and, on the same bytes and on the decoded
 * body, the identity body decoders and the identity record decoder, each with a round trip.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_fuzz_init();
    mc_fuzz_tx(data, size);
    mc_fuzz_bodies(data, size);
    return 0;
}
