/*
 * JSON error responses with stable codes (docs/api.md "Errors"). Messages are fixed text: never
 * request content. Most codes are the name of an MC_E* value; five are the API's own:
 * EDENIED (403) when the policy or a route's rule refuses the caller, ENOTCUSTODIAN (409)
 * when a logged read or an upload reaches a node whose org does not hold the record, ETOOMANY
 * (429) when a signer is over its rate of logged reads, ENOCONTENT (404) when a record's
 * ciphertext is not on the node, and EMISMATCH (409) when uploaded bytes are not the anchored
 * ciphertext.
 */
#include <stdio.h>

#include "api_internal.h"

unsigned mc_http_status_for(int rc)
{
    switch (rc) {
    case MC_OK: return 200;
    case MC_EINVAL: return 400;
    case MC_ENOTFOUND: return 404;
    case MC_EBADSIG:
    case MC_ESTALE: return 401;
    case MC_EDENIED: return 403;
    case MC_EEXIST: return 409;
    case MC_ETOOBIG: return 413;
    case MC_EAGAIN: return 503;
    case MC_EUNAVAIL:
    case MC_ECLOSED: return 503;
    case MC_ETIMEDOUT: return 504;
    default: return 500;
    }
}

void mc_resp_error(mc_resp *r, unsigned status, const char *code, const char *message)
{
    json_decref(r->json);
    r->status = status;
    r->is_text = 0;
    r->json = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

void mc_resp_err(mc_resp *r, int rc, const char *message)
{
    mc_resp_error(r, mc_http_status_for(rc), mc_errname(rc), message ? message : mc_strerror(rc));
}

void mc_resp_denied(mc_resp *r, const char *message)
{
    mc_resp_error(r, 403, "EDENIED", message ? message : "permission denied");
}

void mc_resp_not_custodian(mc_resp *r)
{
    mc_resp_error(r, 409, "ENOTCUSTODIAN",
                  "this node's org is not the record's custodian; ask a node of the custodian org");
}

void mc_resp_too_many(mc_resp *r)
{
    mc_resp_error(r, 429, "ETOOMANY", "too many logged reads by this signer; slow down and retry later");
    snprintf(r->retry_after, sizeof r->retry_after, "1");
}

void mc_resp_no_content(mc_resp *r)
{
    mc_resp_error(r, 404, "ENOCONTENT", "the record's ciphertext has not been uploaded to this node yet");
}
