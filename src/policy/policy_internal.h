/*
 * policy internals shared by the decision and its two views (store_view.c, index*.c).
 *
 * View callbacks return MC_OK, MC_ENOTFOUND (identity, record) or an error as a NEGATIVE
 * enum mc_err (-MC_ECORRUPT, ...), so that is_delegate's and emergency's positive answers
 * (1, 2) can never be mistaken for an error; mc_policy_decide returns the positive code.
 */
#ifndef MEDCHAIN_POLICY_INTERNAL_H
#define MEDCHAIN_POLICY_INTERNAL_H

#include <stdint.h>

#include "medchain/policy.h"

/*
 * Folds break-glass windows into the answer of mc_policy_view.emergency, so that both views
 * pick the same basis whatever order they see them in: among those permitting at t the
 * smallest id; else among those ended by t the latest end, then the smallest id.
 */
typedef struct {
    int state; /* 0 none, 1 permits, 2 ended */
    uint64_t end_ms;
    mc_hash id;
} mc_policy_emerg_acc;

void mc_policy_emerg_add(mc_policy_emerg_acc *acc, const mc_hash *id, uint64_t start_ms, uint64_t end_ms,
                         uint64_t t);

#endif
