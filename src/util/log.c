/* One line per event on stderr. Callers pass only opaque ids and hashes, never PHI. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "medchain/util.h"

static int mc_log_min = MC_LOG_INFO;

void mc_log_set_level(int level)
{
    mc_log_min = level;
}

int mc_log_parse_level(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, names[i]) == 0) return i;
    return -1;
}

void mc_log(int level, const char *component, const char *fmt, ...)
{
    static const char *tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < mc_log_min || level < 0 || level > MC_LOG_ERROR) return;
    char line[1024];
    uint64_t now = mc_time_now_ms();
    time_t secs = (time_t)(now / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int off = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ %-5s %s: ", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(now % 1000),
                       tags[level], component);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + off, sizeof line - (size_t)off - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    /* a line is one event: fold embedded newlines so a log line cannot be forged */
    for (size_t i = 0; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}
