/* Who may act for a patient, and whether an id names an active patient. */
#include <string.h>

#include "exec_internal.h"

/* The named patient must be an active patient identity. */
int mc_exec_check_patient(const mc_exec_ctx *c, const mc_id *patient)
{
    mc_identity p;
    int rc = mc_store_get_identity(c->txn, patient, &p);
    if (rc == MC_ENOTFOUND) return MC_TXR_NOT_PATIENT;
    if (rc) return -rc;
    return p.kind == MC_ID_PATIENT && p.status == MC_ID_ACTIVE ? MC_TXR_OK : MC_TXR_NOT_PATIENT;
}

int mc_exec_speaks_for(mc_store_txn *txn, const mc_id *patient, const mc_id *who)
{
    if (memcmp(patient->b, who->b, 32) == 0) return 1;
    mc_delegate d;
    int rc = mc_store_get_delegate(txn, patient, who, &d);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return -rc;
    return d.active ? 1 : 0;
}

int mc_exec_is_auditor(mc_store_txn *txn, const mc_id *id)
{
    mc_identity a;
    int rc = mc_store_get_identity(txn, id, &a);
    if (rc == MC_ENOTFOUND) return 0;
    if (rc) return -rc;
    if (a.status != MC_ID_ACTIVE) return 0;
    if (a.kind == MC_ID_AUDITOR) return 1;
    const char *type = mc_attrs_get(&a.attrs, "type");
    return a.kind == MC_ID_ORG && type && strcmp(type, "regulator") == 0;
}
