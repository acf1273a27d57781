/* FHIR's lexical rules for type names, ids and dates (R4 "Data Types"), and two shape tests. */
#include <string.h>

#include "fhir_internal.h"

static int mc_fhir_upper(int c)
{
    return c >= 'A' && c <= 'Z';
}
static int mc_fhir_lower(int c)
{
    return c >= 'a' && c <= 'z';
}
static int mc_fhir_digit(int c)
{
    return c >= '0' && c <= '9';
}
static int mc_fhir_xdigit(int c)
{
    return mc_fhir_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int mc_fhir_type_ok(const char *s)
{
    if (!s || !mc_fhir_upper((unsigned char)s[0])) return 0;
    size_t i = 1;
    for (; s[i]; i++)
        if (i >= MC_FHIR_MAX_TYPE ||
            !(mc_fhir_upper((unsigned char)s[i]) || mc_fhir_lower((unsigned char)s[i])))
            return 0;
    return 1;
}

int mc_fhir_id_ok(const char *s)
{
    if (!s || !s[0]) return 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= MC_FHIR_MAX_ID) return 0;
        if (!(mc_fhir_upper(c) || mc_fhir_lower(c) || mc_fhir_digit(c) || c == '-' || c == '.')) return 0;
    }
    return 1;
}

/* @return the value of the @p n digits at @p s, or -1 if they are not all digits. */
static int mc_fhir_num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!mc_fhir_digit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "hh:mm:ss(.f+)?(Z|(+|-)hh:mm)" to the end of @p s. */
static int mc_fhir_is_time_zone(const char *s)
{
    int hh = mc_fhir_num(s, 2), mm, ss;
    if (hh < 0 || hh > 23 || s[2] != ':') return 0;
    mm = mc_fhir_num(s + 3, 2);
    if (mm < 0 || mm > 59 || s[5] != ':') return 0;
    ss = mc_fhir_num(s + 6, 2);
    if (ss < 0 || ss > 60) return 0;
    s += 8;
    if (*s == '.') {
        s++;
        if (!mc_fhir_digit((unsigned char)*s)) return 0;
        while (mc_fhir_digit((unsigned char)*s)) s++;
    }
    if (s[0] == 'Z') return s[1] == 0;
    if (s[0] != '+' && s[0] != '-') return 0;
    int zh = mc_fhir_num(s + 1, 2);
    if (zh < 0 || zh > 14 || s[3] != ':') return 0;
    int zm = mc_fhir_num(s + 4, 2);
    return zm >= 0 && zm <= 59 && s[6] == 0;
}

int mc_fhir_is_date(const char *s)
{
    if (!s) return 0;
    int y = mc_fhir_num(s, 4);
    if (y < 1) return 0;
    if (s[4] == 0) return 1;
    int m = s[4] == '-' ? mc_fhir_num(s + 5, 2) : -1;
    if (m < 1 || m > 12) return 0;
    if (s[7] == 0) return 1;
    int d = s[7] == '-' ? mc_fhir_num(s + 8, 2) : -1;
    if (d < 1 || d > 31) return 0;
    if (s[10] == 0) return 1;
    return s[10] == 'T' && mc_fhir_is_time_zone(s + 11);
}

int mc_fhir_date_year(const char *s)
{
    return mc_fhir_is_date(s) ? mc_fhir_num(s, 4) : 0;
}

int mc_fhir_has_date_shape(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i + 7 <= n; i++)
        if (mc_fhir_num(s + i, 4) >= 0 && s[i + 4] == '-' && mc_fhir_num(s + i + 5, 2) >= 0) return 1;
    return 0;
}

int mc_fhir_has_uuid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i + 36 <= n; i++) {
        size_t j = i;
        int ok = 1;
        for (unsigned g = 0; ok && g < MC_ARRAY_LEN(groups); g++) {
            for (int k = 0; ok && k < groups[g]; k++) ok = mc_fhir_xdigit((unsigned char)s[j++]);
            if (ok && g + 1 < MC_ARRAY_LEN(groups)) ok = s[j++] == '-';
        }
        if (ok) return 1;
    }
    return 0;
}
