/* Internal to the chain module. */
#ifndef MEDCHAIN_CHAIN_INTERNAL_H
#define MEDCHAIN_CHAIN_INTERNAL_H

#include <stddef.h>

/* An attribute value: at most MC_MAX_ATTR_VAL bytes, no control bytes, no ','. */
int mc_chain_attr_val_ok(const char *v, size_t n);

#endif
