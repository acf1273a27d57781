/* Error codes: a sentence and a stable name for each. */
#include "medchain/util.h"

static const struct {
    const char *name;
    const char *text;
} mc_errs[MC_ERR_COUNT_] = {
    [MC_OK] = {"OK", "success"},
    [MC_ENOMEM] = {"ENOMEM", "out of memory"},
    [MC_EINVAL] = {"EINVAL", "malformed input or invalid argument"},
    [MC_ENOTFOUND] = {"ENOTFOUND", "not found"},
    [MC_ECORRUPT] = {"ECORRUPT", "stored data is corrupt"},
    [MC_EBADSIG] = {"EBADSIG", "signature verification failed"},
    [MC_EDENIED] = {"EDENIED", "permission denied"},
    [MC_ETOOBIG] = {"ETOOBIG", "length or count over its limit"},
    [MC_EIO] = {"EIO", "input/output error"},
    [MC_EEXIST] = {"EEXIST", "already exists"},
    [MC_EAGAIN] = {"EAGAIN", "busy, try again later"},
    [MC_ETIMEDOUT] = {"ETIMEDOUT", "timed out"},
    [MC_ECRYPTO] = {"ECRYPTO", "cryptographic operation failed"},
    [MC_EUNAVAIL] = {"EUNAVAIL", "service unavailable"},
    [MC_ESTALE] = {"ESTALE", "stale or replayed"},
    [MC_ECLOSED] = {"ECLOSED", "shutting down"},
};

const char *mc_strerror(int rc)
{
    if (rc < 0 || rc >= MC_ERR_COUNT_) return "unknown error";
    return mc_errs[rc].text;
}

const char *mc_errname(int rc)
{
    if (rc < 0 || rc >= MC_ERR_COUNT_) return "EUNKNOWN";
    return mc_errs[rc].name;
}
