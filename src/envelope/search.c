/*
 * Search keys, keyword normalisation and search tokens (DESIGN.md section 4).
 *
 * A token must come out the same for the same fact however an EHR spells it, or the patient's
 * search misses; so kind and value are normalised before the HMAC (trimmed, ASCII lower-cased,
 * inner spaces collapsed). Non-ASCII bytes are kept as given: callers that take free text
 * should bring it to Unicode NFC first. Keywords are PHI in clear: every scratch copy is wiped.
 */
#include <string.h>

#include "envelope_internal.h"

void mc_env_search_key(uint8_t out[MC_ENV_KEYBYTES], const mc_box_sk *patient_box_sk)
{
    static const char label[] = "medchain/search-key";
    mc_hash h;
    mc_hmac_sha256(&h, patient_box_sk->b, label, sizeof label - 1);
    memcpy(out, h.b, MC_ENV_KEYBYTES);
    mc_wipe(&h, sizeof h);
}

void mc_env_search_key_slot(mc_hash *out, const mc_id *patient)
{
    mc_hash_tagged(out, "medchain/search-key-slot", patient->b, sizeof patient->b);
}

static const char *const mc_env_kinds[] = {"loinc", "snomed",   "rxnorm", "cvx",
                                           "type",  "category", "year",   "word"};

/*
 * Normalises @p in into @p out (at most @p cap bytes, no NUL): spaces trimmed and collapsed,
 * ASCII lower-cased. @return MC_OK, MC_EINVAL (a control byte), MC_ETOOBIG (over @p cap).
 */
static int mc_env_norm(char *out, size_t cap, size_t *len, const char *in)
{
    for (const unsigned char *p = (const unsigned char *)in; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return MC_EINVAL;
    size_t n = 0;
    int space = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (*p == ' ') {
            space = n > 0; /* leading spaces are dropped, inner runs become one */
            continue;
        }
        if (n + (size_t)space >= cap) return MC_ETOOBIG;
        if (space) out[n++] = ' ';
        space = 0;
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
    }
    *len = n;
    return MC_OK;
}

static int mc_env_year_ok(const char *v, size_t n)
{
    if (n != 4) return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9') return 0;
    return 1;
}

int mc_env_keyword(char *out, size_t cap, const char *kind, const char *value)
{
    if (out && cap) out[0] = '\0';
    if (!out || !kind || !value) return MC_EINVAL;
    char k[16], v[MC_ENV_MAX_KEYWORD];
    size_t nk, nv;
    int rc = mc_env_norm(k, sizeof k - 1, &nk, kind);
    if (rc) return MC_EINVAL; /* no kind is that long */
    k[nk] = '\0';
    size_t i = 0;
    while (i < MC_ARRAY_LEN(mc_env_kinds) && strcmp(k, mc_env_kinds[i])) i++;
    if (i == MC_ARRAY_LEN(mc_env_kinds)) return MC_EINVAL;
    rc = mc_env_norm(v, MC_ENV_MAX_KEYWORD - nk - 1, &nv, value);
    if (!rc && nv == 0) rc = MC_EINVAL;
    if (!rc && !strcmp(k, "year") && !mc_env_year_ok(v, nv)) rc = MC_EINVAL;
    if (!rc && nk + 1 + nv >= cap) rc = MC_ETOOBIG;
    if (!rc) {
        memcpy(out, k, nk);
        out[nk] = ':';
        memcpy(out + nk + 1, v, nv);
        out[nk + 1 + nv] = '\0';
    }
    mc_wipe(v, sizeof v);
    return rc;
}

void mc_env_token(mc_hash *tok, const uint8_t skey[MC_ENV_KEYBYTES], const char *keyword)
{
    mc_hmac_sha256(tok, skey, keyword, strlen(keyword));
}
