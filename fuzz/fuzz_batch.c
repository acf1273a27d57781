/* libFuzzer target: a batch (mc_batch_decode) and every transaction in it (mc_tx_decode). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mc_fuzz_init();
    mc_fuzz_batch(data, size);
    return 0;
}
