/* Stable names for kinds and result codes: they appear in the API and must never change. */
#include <string.h>

#include "medchain/chain.h"

static const char *mc_id_kinds[] = {NULL, "org", "provider", "patient", "auditor", "researcher", "node"};

const char *mc_identity_kind_name(int kind)
{
    return kind > 0 && kind < (int)MC_ARRAY_LEN(mc_id_kinds) ? mc_id_kinds[kind] : NULL;
}

int mc_identity_kind_parse(const char *name)
{
    for (int i = 1; name && i < (int)MC_ARRAY_LEN(mc_id_kinds); i++)
        if (strcmp(name, mc_id_kinds[i]) == 0) return i;
    return 0;
}

static const char *mc_tx_kinds[] = {NULL, "identity.register", "identity.rotate", "identity.revoke"};

const char *mc_tx_kind_name(int kind)
{
    return kind > 0 && kind < (int)MC_ARRAY_LEN(mc_tx_kinds) ? mc_tx_kinds[kind] : NULL;
}

int mc_tx_kind_parse(const char *name)
{
    for (int i = 1; name && i < (int)MC_ARRAY_LEN(mc_tx_kinds); i++)
        if (strcmp(name, mc_tx_kinds[i]) == 0) return i;
    return 0;
}

static const struct {
    const char *name;
    const char *text;
} mc_txrs[MC_TXR_COUNT_] = {
    [MC_TXR_OK] = {"OK", "applied"},
    [MC_TXR_MALFORMED] = {"MALFORMED", "bytes do not decode as a transaction"},
    [MC_TXR_WRONG_CHAIN] = {"WRONG_CHAIN", "signed for another chain"},
    [MC_TXR_UNKNOWN_KIND] = {"UNKNOWN_KIND", "unknown transaction kind"},
    [MC_TXR_UNKNOWN_SIGNER] = {"UNKNOWN_SIGNER", "signer is not a registered identity"},
    [MC_TXR_SIGNER_REVOKED] = {"SIGNER_REVOKED", "signer identity is revoked"},
    [MC_TXR_BAD_SIG] = {"BAD_SIG", "signature does not verify with the signer's current key"},
    [MC_TXR_BAD_NONCE] = {"BAD_NONCE", "nonce is not above the signer's last nonce (replay)"},
    [MC_TXR_BAD_BODY] = {"BAD_BODY", "body does not decode for its kind"},
    [MC_TXR_UNAUTHORIZED] = {"UNAUTHORIZED", "signer may not perform this action"},
    [MC_TXR_EXISTS] = {"EXISTS", "already exists"},
    [MC_TXR_NOT_FOUND] = {"NOT_FOUND", "target does not exist"},
    [MC_TXR_TARGET_REVOKED] = {"TARGET_REVOKED", "target identity is revoked"},
    [MC_TXR_BAD_COSIG] = {"BAD_COSIG", "required co-signature missing or invalid"},
    [MC_TXR_SAME_KEY] = {"SAME_KEY", "rotation to the key already in use"},
};

const char *mc_txr_name(int code)
{
    return code >= 0 && code < MC_TXR_COUNT_ ? mc_txrs[code].name : "UNKNOWN";
}

const char *mc_txr_text(int code)
{
    return code >= 0 && code < MC_TXR_COUNT_ ? mc_txrs[code].text : "unknown result";
}

void mc_id_from_pk(mc_id *id, const mc_sign_pk *pk)
{
    mc_hash h;
    mc_hash_tagged(&h, "medchain/id", pk->b, sizeof pk->b);
    memcpy(id->b, h.b, 32);
}
