/* PHI probes of a synthetic patient and a scanner for them (see phi.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "phi.h"

#define PHI_SYS_V2_0203 "http://terminology.hl7.org/CodeSystem/v2-0203"
#define PHI_EXT_MAIDEN  "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
#define PHI_EXT_BIRTHPL "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
#define PHI_CHUNK       (1u << 20)

struct phi_probes {
    size_t n, cap;
    size_t patients; /* patients added so far */
    phi_probe *a;
};

phi_probes *phi_probes_new(void)
{
    return calloc(1, sizeof(phi_probes));
}

void phi_probes_free(phi_probes *pr)
{
    if (!pr) return;
    free(pr->a);
    free(pr);
}

size_t phi_probes_count(const phi_probes *pr)
{
    return pr ? pr->n : 0;
}

const phi_probe *phi_probes_get(const phi_probes *pr, size_t i)
{
    return pr && i < pr->n ? &pr->a[i] : NULL;
}

/* Adds a probe unless it is shorter than @p min (and at least 1) or already there. */
static int phi_add(phi_probes *pr, const char *what, const char *value, size_t min)
{
    if (!value || strlen(value) < (min ? min : 1)) return MC_OK;
    for (size_t i = 0; i < pr->n; i++)
        if (strncmp(pr->a[i].value, value, PHI_MAX_PROBE) == 0) return MC_OK;
    if (pr->n == pr->cap) {
        size_t cap = pr->cap ? 2 * pr->cap : 32;
        phi_probe *a = realloc(pr->a, cap * sizeof *a);
        if (!a) return MC_ENOMEM;
        pr->a = a;
        pr->cap = cap;
    }
    phi_probe *p = &pr->a[pr->n++];
    snprintf(p->what, sizeof p->what, "%s", what);
    snprintf(p->value, sizeof p->value, "%s", value);
    p->patient = pr->patients;
    return MC_OK;
}

int phi_probes_add(phi_probes *pr, const char *what, const char *value)
{
    return phi_add(pr, what, value, 1);
}

static int phi_add_names(phi_probes *out, const json_t *patient)
{
    static const char *const parts[] = {"given", "prefix", "suffix"};
    size_t i, j;
    json_t *name, *x;
    int rc = MC_OK;
    json_array_foreach(json_object_get(patient, "name"), i, name)
    {
        rc = phi_add(out, "family", json_string_value(json_object_get(name, "family")), PHI_MIN_NAME);
        for (size_t k = 0; rc == MC_OK && k < MC_ARRAY_LEN(parts); k++)
            json_array_foreach(json_object_get(name, parts[k]), j, x)
            {
                if (rc == MC_OK) rc = phi_add(out, parts[k], json_string_value(x), PHI_MIN_NAME);
            }
        if (rc != MC_OK) return rc;
    }
    return MC_OK;
}
/* The probe name of an identifier by its v2-0203 type code, or NULL. */
static const char *phi_identifier_kind(const json_t *ident)
{
    static const char *const codes[][2] = {
        {"SS", "ssn"}, {"MR", "mrn"}, {"DL", "drivers-licence"}, {"PPN", "passport"}};
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(ident, "type"), "coding"), i, c)
    {
        const char *sys = json_string_value(json_object_get(c, "system"));
        const char *code = json_string_value(json_object_get(c, "code"));
        if (!sys || !code || strcmp(sys, PHI_SYS_V2_0203) != 0) continue;
        for (size_t k = 0; k < MC_ARRAY_LEN(codes); k++)
            if (strcmp(code, codes[k][0]) == 0) return codes[k][1];
    }
    return NULL;
}

static int phi_add_contact(phi_probes *out, const json_t *patient)
{
    size_t i, j;
    json_t *x, *line;
    int rc = MC_OK;
    json_array_foreach(json_object_get(patient, "identifier"), i, x)
    {
        const char *kind = phi_identifier_kind(x);
        if (kind && rc == MC_OK) rc = phi_add(out, kind, json_string_value(json_object_get(x, "value")), 1);
    }
    json_array_foreach(json_object_get(patient, "telecom"), i, x)
    {
        if (rc == MC_OK) rc = phi_add(out, "telecom", json_string_value(json_object_get(x, "value")), 1);
    }
    json_array_foreach(json_object_get(patient, "address"), i, x)
    {
        json_array_foreach(json_object_get(x, "line"), j, line)
        {
            if (rc == MC_OK) rc = phi_add(out, "address-line", json_string_value(line), 1);
        }
    }
    return rc;
}

static int phi_add_extensions(phi_probes *out, const json_t *patient)
{
    size_t i;
    json_t *x;
    int rc = MC_OK;
    json_array_foreach(json_object_get(patient, "extension"), i, x)
    {
        const char *url = json_string_value(json_object_get(x, "url"));
        if (!url || rc != MC_OK) continue;
        if (strcmp(url, PHI_EXT_MAIDEN) == 0)
            rc = phi_add(out, "maiden-name", json_string_value(json_object_get(x, "valueString")),
                         PHI_MIN_NAME);
        if (strcmp(url, PHI_EXT_BIRTHPL) == 0)
            rc = phi_add(out, "birthplace",
                         json_string_value(json_object_get(json_object_get(x, "valueAddress"), "city")),
                         PHI_MIN_NAME);
    }
    return rc;
}

int phi_probes_add_patient(phi_probes *pr, const json_t *patient)
{
    const char *rt = json_string_value(json_object_get(patient, "resourceType"));
    if (!pr || !rt || strcmp(rt, "Patient") != 0) return MC_EINVAL;
    int rc = phi_add_names(pr, patient);
    if (rc == MC_OK) rc = phi_add_contact(pr, patient);
    if (rc == MC_OK)
        rc = phi_add(pr, "birth-date", json_string_value(json_object_get(patient, "birthDate")), 1);
    if (rc == MC_OK) rc = phi_add_extensions(pr, patient);
    pr->patients++;
    return rc;
}

int phi_probes_add_bundle(phi_probes *pr, const json_t *bundle)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(bundle, "entry"), i, e)
    {
        const json_t *r = json_object_get(e, "resource");
        const char *rt = json_string_value(json_object_get(r, "resourceType"));
        if (rt && strcmp(rt, "Patient") == 0) return phi_probes_add_patient(pr, r);
    }
    return MC_ENOTFOUND;
}

int phi_probes_add_file(phi_probes *pr, const char *path)
{
    json_error_t err;
    json_t *b = json_load_file(path, 0, &err);
    if (!b) return json_error_code(&err) == json_error_cannot_open_file ? MC_EIO : MC_EINVAL;
    int rc = phi_probes_add_bundle(pr, b);
    json_decref(b);
    return rc;
}

/* 1 if the PHI_CONTEXT bytes on each side of [at, at + len) (as far as the buffer goes) are
 * text: printable ASCII, tab or line ends. */
static int phi_in_text(const uint8_t *p, size_t n, size_t at, size_t len)
{
    size_t from = at > PHI_CONTEXT ? at - PHI_CONTEXT : 0,
           to = at + len + PHI_CONTEXT < n ? at + len + PHI_CONTEXT : n;
    for (size_t k = from; k < to; k++)
        if ((p[k] < 0x20 || p[k] > 0x7e) && p[k] != '\t' && p[k] != '\n' && p[k] != '\r') return 0;
    return 1;
}

/* 1 if @p probe occurs in @p p: anywhere when it is long enough to be no coincidence, else only
 * where it stands in text (a short name matches random bytes by chance: 3 given bytes occur
 * about once in 16 MiB of ciphertext, but not with 16 bytes of text around them). */
static int phi_occurs(const uint8_t *p, size_t n, const char *probe)
{
    size_t len = strlen(probe);
    for (const uint8_t *q = p; len && (size_t)(q - p) + len <= n;) {
        const uint8_t *hit = memmem(q, n - (size_t)(q - p), probe, len);
        if (!hit) return 0;
        if (len >= PHI_STRICT || phi_in_text(p, n, (size_t)(hit - p), len)) return 1;
        q = hit + 1;
    }
    return 0;
}

const phi_probe *phi_scan_bytes(const phi_probes *pr, const void *p, size_t n)
{
    for (size_t i = 0; pr && i < pr->n; i++)
        if (phi_occurs(p, n, pr->a[i].value)) return &pr->a[i];
    return NULL;
}

static size_t phi_longest(const phi_probes *pr)
{
    size_t m = 1;
    for (size_t i = 0; i < pr->n; i++)
        if (strlen(pr->a[i].value) > m) m = strlen(pr->a[i].value);
    return m;
}

/*
 * Scans one file in chunks; the last (longest probe - 1) bytes of a chunk start the next.
 * @return MC_OK (hit->probe set if found), MC_EIO, MC_ENOMEM.
 */
static int phi_scan_one(const phi_probes *pr, const char *path, phi_hit *hit)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? MC_OK : MC_EIO; /* gone meanwhile: a live node's temporary file */
    size_t keep = phi_longest(pr) - 1, have = 0;
    uint8_t *buf = malloc(PHI_CHUNK + keep);
    int rc = buf ? MC_OK : MC_ENOMEM;
    while (rc == MC_OK) {
        size_t got = fread(buf + have, 1, PHI_CHUNK, f);
        if (got == 0) {
            if (ferror(f)) rc = MC_EIO;
            break;
        }
        have += got;
        const phi_probe *p = phi_scan_bytes(pr, buf, have);
        if (p) {
            hit->probe = p;
            snprintf(hit->file, sizeof hit->file, "%s", path);
            break;
        }
        size_t tail = have < keep ? have : keep;
        memmove(buf, buf + have - tail, tail);
        have = tail;
    }
    free(buf);
    fclose(f);
    return rc;
}

static int phi_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in @p dir (no "." or ".."), sorted; @p suffix filters when not NULL. */
static int phi_names(const char *dir, const char *suffix, char ***pnames, size_t *pn)
{
    DIR *d = opendir(dir);
    if (!d) return MC_EIO;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = MC_OK;
    struct dirent *e;
    while (rc == MC_OK && (e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = suffix ? strlen(suffix) : 0;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (suffix && (len < sl || strcmp(e->d_name + len - sl, suffix) != 0)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = MC_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(e->d_name)))
            rc = MC_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (rc != MC_OK) {
        phi_paths_free(names, n);
        return rc;
    }
    if (n) qsort(names, n, sizeof *names, phi_cmp);
    *pnames = names;
    *pn = n;
    return MC_OK;
}

static int phi_scan_dir(const phi_probes *pr, const char *dir, phi_hit *hit, int depth)
{
    char **names = NULL;
    size_t n = 0;
    if (depth > 64) return MC_EIO;
    int rc = phi_names(dir, NULL, &names, &n);
    for (size_t i = 0; rc == MC_OK && !hit->probe && i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (lstat(path, &sb) != 0) {
            rc = errno == ENOENT ? MC_OK : MC_EIO; /* gone meanwhile: a live node's temporary file */
        } else if (S_ISDIR(sb.st_mode)) {
            rc = phi_scan_dir(pr, path, hit, depth + 1);
        } else if (S_ISREG(sb.st_mode)) {
            rc = phi_scan_one(pr, path, hit);
        }
    }
    phi_paths_free(names, n);
    return rc;
}

/* The scanners' answer: 0 nothing found, 1 found, -rc on an error. */
static int phi_answer(int rc, const phi_hit *hit)
{
    return rc != MC_OK ? -rc : hit->probe != NULL;
}

int phi_scan_file(const phi_probes *pr, const char *path, phi_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    struct stat sb;
    if (!pr || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return -MC_EIO;
    return phi_answer(phi_scan_one(pr, path, hit), hit);
}

int phi_scan_tree(const phi_probes *pr, const char *dir, phi_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    if (!pr) return -MC_EIO;
    return phi_answer(phi_scan_dir(pr, dir, hit, 0), hit);
}

int phi_json_files(const char *dir, char ***paths, size_t *n)
{
    char **names = NULL;
    size_t k = 0;
    *paths = NULL;
    *n = 0;
    int rc = phi_names(dir, ".json", &names, &k);
    for (size_t i = 0; rc == MC_OK && i < k; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (!p) {
            rc = MC_ENOMEM;
            break;
        }
        snprintf(p, len, "%s/%s", dir, names[i]);
        free(names[i]);
        names[i] = p;
    }
    if (rc != MC_OK) {
        phi_paths_free(names, k);
        return rc;
    }
    *paths = names;
    *n = k;
    return MC_OK;
}

void phi_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; paths && i < n; i++) free(paths[i]);
    free(paths);
}
