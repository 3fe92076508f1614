/* vidlake - Apache-2.0 */
/*
 * Replays fuzz inputs without libFuzzer, so that `make test` runs every
 * committed corpus under gcc's ASan+UBSan: each argument is a file or a
 * directory of files, fed one by one to LLVMFuzzerTestOneInput.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    /* an exact-size heap copy, so ASan sees reads past the end */
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        fclose(f);
        free(buf);
        return 1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    long count = 0;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "no such corpus: %s\n", argv[i]);
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad |= replay_file(argv[i]);
            count++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            bad |= replay_file(path);
            count++;
        }
        if (d) closedir(d);
    }
    if (bad || count == 0) {
        printf("FAIL replay of %s: %s\n", argc > 1 ? argv[1] : "(nothing)",
               count ? "unreadable inputs" : "empty corpus");
        return 1;
    }
    printf("ok replayed %ld inputs from %s without a finding\n", count, argc > 1 ? argv[1] : "");
    return 0;
}
