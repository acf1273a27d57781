/*
 * Corpus replay without libFuzzer (after sqlite's fuzzcheck): runs every file named on the
 * command line, or found directly in a directory named there, once through
 * LLVMFuzzerTestOneInput, in name order. Each input is copied into a heap buffer of exactly its
 * size, so a sanitizer build catches reads past the end. Exits 1 when no input was found (an
 * empty corpus would make the test pass vacuously) or a file cannot be read; a crash is a crash.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static int mc_replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return -1;
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *p = malloc(n ? n : 1);
    if (!p || fread(p, 1, n, f) != n) {
        free(p);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(p, n);
    free(p);
    return 0;
}

static int mc_replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the regular files of @p dir. @return the number replayed, or -1. */
static long mc_replay_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long done = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, mc_replay_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (mc_replay_file(path) != 0) {
                fprintf(stderr, "cannot read %s\n", path);
                done = -1;
                break;
            }
            done++;
        }
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return done;
}

int main(int argc, char **argv)
{
    long total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        long r = -1;
        if (stat(argv[i], &sb) == 0)
            r = S_ISDIR(sb.st_mode) ? mc_replay_dir(argv[i]) : (mc_replay_file(argv[i]) == 0 ? 1 : -1);
        if (r < 0) {
            fprintf(stderr, "%s: cannot replay %s\n", argv[0], argv[i]);
            return 1;
        }
        total += r;
    }
    printf("%s: replayed %ld inputs\n", argv[0], total);
    return total > 0 ? 0 : 1;
}
