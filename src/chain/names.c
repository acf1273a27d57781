/* Stable names for kinds and result codes: they appear in the API and must never change. */
#include <string.h>

#include "medchain/chain.h"

static const char *const mc_id_kinds[] = {NULL,      "org",        "provider", "patient",
                                          "auditor", "researcher", "node"};

/* Name tables are indexed by value; unassigned values are NULL slots, and index 0 is never a name. */
static const char *mc_names_get(const char *const *tab, size_t n, int v)
{
    return v > 0 && (size_t)v < n ? tab[v] : NULL;
}

static int mc_names_find(const char *const *tab, size_t n, const char *name)
{
    for (size_t i = 1; name && i < n; i++)
        if (tab[i] && strcmp(name, tab[i]) == 0) return (int)i;
    return 0;
}

const char *mc_identity_kind_name(int kind)
{
    return mc_names_get(mc_id_kinds, MC_ARRAY_LEN(mc_id_kinds), kind);
}

int mc_identity_kind_parse(const char *name)
{
    return mc_names_find(mc_id_kinds, MC_ARRAY_LEN(mc_id_kinds), name);
}

/* Kinds 4..9 were never assigned: their slots stay NULL. */
static const char *const mc_tx_kinds[] = {
    [MC_TX_IDENTITY_REGISTER] = "identity.register",
    [MC_TX_IDENTITY_ROTATE] = "identity.rotate",
    [MC_TX_IDENTITY_REVOKE] = "identity.revoke",
    [MC_TX_RECORD_ANCHOR] = "record.anchor",
    [MC_TX_CONSENT_GRANT] = "consent.grant",
    [MC_TX_CONSENT_DENY] = "consent.deny",
    [MC_TX_CONSENT_REVOKE] = "consent.revoke",
    [MC_TX_CONSENT_DELEGATE] = "consent.delegate",
    [MC_TX_ACCESS_EMERGENCY] = "access.emergency",
    [MC_TX_ACCESS_LOG] = "access.log",
    [MC_TX_ORG_PROPOSE] = "org.propose",
    [MC_TX_ORG_APPROVE] = "org.approve",
    [MC_TX_RESEARCH_RELEASE] = "research.release",
    [MC_TX_ORG_GATEKEEPER] = "org.gatekeeper",
    [MC_TX_ACCESS_READS] = "access.reads",
};

const char *mc_tx_kind_name(int kind)
{
    return mc_names_get(mc_tx_kinds, MC_ARRAY_LEN(mc_tx_kinds), kind);
}

int mc_tx_kind_parse(const char *name)
{
    return mc_names_find(mc_tx_kinds, MC_ARRAY_LEN(mc_tx_kinds), name);
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
    [MC_TXR_NOT_PATIENT] = {"NOT_PATIENT", "the named patient is not an active patient identity"},
    [MC_TXR_SUPERSEDED] = {"SUPERSEDED", "the amended record was already superseded"},
    [MC_TXR_BAD_WINDOW] = {"BAD_WINDOW", "time window is empty, already over, or too long"},
    [MC_TXR_DECISION_MISMATCH] = {"DECISION_MISMATCH", "logged decision is not the policy's decision"},
    [MC_TXR_STALE] = {"STALE", "logged request is too far from the block time"},
    [MC_TXR_LIMIT] = {"LIMIT", "the consortium already has the most validators it may have"},
    [MC_TXR_NO_CUSTODIAN_KEY] =
        {"NO_CUSTODIAN_KEY", "the custodian published no key-release key, or the record's data key is not "
                             "wrapped for it"},
};

const char *mc_txr_name(int code)
{
    return code >= 0 && code < MC_TXR_COUNT_ ? mc_txrs[code].name : "UNKNOWN";
}

const char *mc_txr_text(int code)
{
    return code >= 0 && code < MC_TXR_COUNT_ ? mc_txrs[code].text : "unknown result";
}

/* Bit sets: the name of bit i is at index i + 1, so that slot 0 stays "no name". */
static const char *const mc_purposes[] = {NULL,      "TREAT",  "ETREAT",  "HPAYMT",
                                          "HOPERAT", "HRESCH", "PUBHLTH", "PATRQT"};
static const char *const mc_actions[] = {NULL, "read", "read_meta", "read_deid"};

/* The index of a single bit in @p all (1 + its position), or 0. */
static int mc_bit_index(uint32_t bit, uint32_t all)
{
    if (bit == 0 || (bit & (bit - 1)) || (bit & ~all)) return 0;
    int i = 1;
    while (!(bit & 1u)) {
        bit >>= 1;
        i++;
    }
    return i;
}

uint32_t mc_purpose_parse(const char *name)
{
    int i = mc_names_find(mc_purposes, MC_ARRAY_LEN(mc_purposes), name);
    return i ? 1u << (i - 1) : 0;
}

const char *mc_purpose_name(uint32_t bit)
{
    return mc_names_get(mc_purposes, MC_ARRAY_LEN(mc_purposes), mc_bit_index(bit, MC_PURPOSE_ALL_));
}

uint8_t mc_action_parse(const char *name)
{
    int i = mc_names_find(mc_actions, MC_ARRAY_LEN(mc_actions), name);
    return i ? (uint8_t)(1u << (i - 1)) : 0;
}

const char *mc_action_name(uint8_t bit)
{
    return mc_names_get(mc_actions, MC_ARRAY_LEN(mc_actions), mc_bit_index(bit, MC_ACTION_ALL_));
}

static const struct {
    const char *name;
    const char *text;
} mc_reasons[] = {
    [MC_RSN_PERMIT_OWNER] = {"PERMIT_OWNER", "the patient reads their own record"},
    [MC_RSN_PERMIT_DELEGATE] = {"PERMIT_DELEGATE", "an active delegate of the patient"},
    [MC_RSN_PERMIT_AUTHOR_ORG] = {"PERMIT_AUTHOR_ORG", "the authoring org, for treatment or operations"},
    [MC_RSN_PERMIT_GRANT] = {"PERMIT_GRANT", "a matching grant"},
    [MC_RSN_PERMIT_EMERGENCY] = {"PERMIT_EMERGENCY", "break-glass inside its window"},
    [MC_RSN_PERMIT_AUDITOR_META] = {"PERMIT_AUDITOR_META", "an auditor reads metadata"},
    [MC_RSN_DENY_DEFAULT] = {"DENY_DEFAULT", "nothing permits it"},
    [MC_RSN_DENY_EXPLICIT] = {"DENY_EXPLICIT", "a matching deny"},
    [MC_RSN_DENY_EXPIRED] = {"DENY_EXPIRED", "the matching grant is over"},
    [MC_RSN_DENY_NOT_YET] = {"DENY_NOT_YET", "the matching grant has not started"},
    [MC_RSN_DENY_REVOKED] = {"DENY_REVOKED", "the matching grant was revoked"},
    [MC_RSN_DENY_UNKNOWN_REQUESTER] = {"DENY_UNKNOWN_REQUESTER",
                                       "the requester is not a registered identity"},
    [MC_RSN_DENY_REQUESTER_REVOKED] = {"DENY_REQUESTER_REVOKED", "the requester's identity is revoked"},
    [MC_RSN_DENY_ORG_REVOKED] = {"DENY_ORG_REVOKED", "the requester's org is revoked"},
    [MC_RSN_DENY_AUDITOR_CONTENT] = {"DENY_AUDITOR_CONTENT", "auditors never read content"},
    [MC_RSN_DENY_RESEARCH_IDENTIFIED] = {"DENY_RESEARCH_IDENTIFIED",
                                         "researchers get de-identified data only"},
    [MC_RSN_DENY_UNKNOWN_RECORD] = {"DENY_UNKNOWN_RECORD", "no such record"},
    [MC_RSN_DENY_BAD_REQUEST] = {"DENY_BAD_REQUEST", "not exactly one known purpose and one known action"},
    [MC_RSN_DENY_EMERGENCY_EXPIRED] = {"DENY_EMERGENCY_EXPIRED", "the break-glass window is over"},
};

const char *mc_reason_name(int reason)
{
    return reason > 0 && reason < (int)MC_ARRAY_LEN(mc_reasons) ? mc_reasons[reason].name : NULL;
}

const char *mc_reason_text(int reason)
{
    return reason > 0 && reason < (int)MC_ARRAY_LEN(mc_reasons) ? mc_reasons[reason].text : NULL;
}

static const char *const mc_event_kinds[] = {
    [MC_EV_RECORD] = "record.new",          [MC_EV_READ] = "record.read",
    [MC_EV_GRANT] = "consent.grant",        [MC_EV_DENY] = "consent.deny",
    [MC_EV_REVOKE] = "consent.revoke",      [MC_EV_DELEGATE] = "consent.delegate",
    [MC_EV_EMERGENCY] = "access.emergency", [MC_EV_GRANT_EXPIRING] = "consent.expiring",
    [MC_EV_ORG_ADMITTED] = "org.admitted",
};

const char *mc_event_kind_name(int kind)
{
    return mc_names_get(mc_event_kinds, MC_ARRAY_LEN(mc_event_kinds), kind);
}

void mc_id_from_pk(mc_id *id, const mc_sign_pk *pk)
{
    mc_hash h;
    mc_hash_tagged(&h, "medchain/id", pk->b, sizeof pk->b);
    memcpy(id->b, h.b, 32);
}
