/*
 * phi: the PHI probes of a synthetic patient and a scanner for them, shared by the unit tests
 * (de-identified exports) and the integration tests (ledger, logs, blobs: "none of these
 * strings may ever appear", ../shared/data/fhir/synthea-r4/README.md). Plain C over jansson:
 * functions return MC_OK or an MC_E* code (the scanners: 0 nothing found, 1 found, -MC_E*),
 * so cmocka tests assert on them.
 *
 * Probes are exact byte strings, matched case-sensitively anywhere (a substring of a longer
 * word counts): a leak is a leak wherever it sits. To keep trivial matches out, a name part
 * (given, family, prefix, suffix) is a probe only if it has at least PHI_MIN_NAME bytes
 * ("Mr." is kept, "Jo" is not). Not probed: the city (shared by many patients and by the
 * hospitals' addresses), the ZIP code (five digits occur by chance in hex and binary data),
 * and the geolocation (a decimal number re-serialised may be written differently).
 */
#ifndef MEDCHAIN_PHI_H
#define MEDCHAIN_PHI_H

#include <stddef.h>

#include <jansson.h>

#include "medchain/util.h"

#define PHI_MAX_PROBE 160 /* longer values are cut to their first PHI_MAX_PROBE bytes */
#define PHI_MIN_NAME  3

typedef struct {
    char what[24]; /* "given", "family", "prefix", "suffix", "ssn", "mrn", "drivers-licence", "passport",
                      "telecom", "address-line", "birth-date", "maiden-name", "birthplace" */
    char value[PHI_MAX_PROBE + 1];
    size_t patient; /* which added patient it came from: 0, 1, ... */
} phi_probe;

/* A growing set of distinct probes, of one patient or many. */
typedef struct phi_probes phi_probes;

/* An empty set, or NULL when out of memory. Free with phi_probes_free (NULL is harmless). */
phi_probes *phi_probes_new(void);
void phi_probes_free(phi_probes *pr);
size_t phi_probes_count(const phi_probes *pr);
/* Probe @p i (i < phi_probes_count), valid until the next add or the free. */
const phi_probe *phi_probes_get(const phi_probes *pr, size_t i);

/*
 * Adds the probes of a Patient resource: name parts (PHI_MIN_NAME bytes or more), identifier
 * values by type code (SS ssn, MR mrn, DL drivers-licence, PPN passport), every telecom value,
 * every address line, the birth date (YYYY-MM-DD), the mother's maiden name and the
 * birthplace city (extensions patient-mothersMaidenName, patient-birthPlace).
 * Returns MC_OK, MC_EINVAL (not a Patient), MC_ENOMEM.
 */
int phi_probes_add_patient(phi_probes *pr, const json_t *patient);
/* Adds the probes of the one Patient in a Bundle. MC_ENOTFOUND if it has none. */
int phi_probes_add_bundle(phi_probes *pr, const json_t *bundle);
/* Adds the probes of the Patient in the Bundle file @p path. MC_EIO, MC_EINVAL, MC_ENOTFOUND. */
int phi_probes_add_file(phi_probes *pr, const char *path);
/* Adds one probe (ignored if empty or already there). MC_OK, MC_ENOMEM. */
int phi_probes_add(phi_probes *pr, const char *what, const char *value);

/* A probe of PHI_STRICT bytes or more is found anywhere; a shorter one only where it stands in
 * text (PHI_CONTEXT printable bytes on each side, or the buffer's edge), since a leak of a short
 * name is text (a log line, JSON, a key) while random bytes (ciphertext, hashes, signatures)
 * hold any 3-byte string by chance about once in 16 MiB. */
#define PHI_STRICT  6
#define PHI_CONTEXT 8

/* The first probe (in the order they were added) found in @p p (@p n bytes), or NULL. */
const phi_probe *phi_scan_bytes(const phi_probes *pr, const void *p, size_t n);

typedef struct {
    const phi_probe *probe; /* the probe found (valid like phi_probes_get), or NULL: none */
    char file[4096];        /* the file it was found in */
} phi_hit;

/*
 * Scans the raw bytes of one file, in chunks so that large files need little memory.
 * Returns 0 (nothing found), 1 (found: see @p hit), or -MC_EIO / -MC_ENOMEM.
 */
int phi_scan_file(const phi_probes *pr, const char *path, phi_hit *hit);
/*
 * As phi_scan_file for every regular file under @p dir, recursively (symbolic links are not
 * followed), in name order; stops at the first hit. Returns 0, 1, or -MC_EIO / -MC_ENOMEM.
 */
int phi_scan_tree(const phi_probes *pr, const char *dir, phi_hit *hit);

/*
 * The paths of the "*.json" files directly in @p dir, sorted by name (the Synthea bundles).
 * Free with phi_paths_free. Returns MC_OK, MC_EIO, MC_ENOMEM.
 */
int phi_json_files(const char *dir, char ***paths, size_t *n);
void phi_paths_free(char **paths, size_t n);

#endif
