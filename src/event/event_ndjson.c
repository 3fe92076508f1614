/* vidlake - Apache-2.0 */
/*
 * NDJSON framing over a file descriptor. One buffer, refilled with read(2);
 * a line is returned as a view into it. Memory is bounded by the buffer:
 * a line longer than max_line is returned truncated (max_line + 1 bytes,
 * flagged too_large, enough for the caller to know it is too long and keep
 * a prefix) and the rest of it is skipped as it streams past.
 */
#include "event.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int vl_ndjson_reader_init(vl_ndjson_reader *r, int fd, size_t max_line, vl_error *err) {
    memset(r, 0, sizeof(*r));
    r->fd = fd;
    r->max_line = max_line;
    size_t cap = (size_t)1 << 20;
    while (cap < 2 * (max_line + 2)) cap *= 2;
    r->buf = vl_malloc(cap);
    if (!r->buf) return vl_error_set(err, VL_ENOMEM, "no memory for a %zu-byte read buffer", cap);
    r->cap = cap;
    return VL_OK;
}

void vl_ndjson_reader_free(vl_ndjson_reader *r) {
    vl_free(r->buf);
    r->buf = NULL;
}

/* Moves unread bytes to the front and reads more. @return bytes read (0 at
 * end of input) or -1. */
static ssize_t refill(vl_ndjson_reader *r, vl_error *err) {
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n >= 0) {
            r->end += (size_t)n;
            if (n == 0) r->eof = true;
            return n;
        }
        if (errno == EINTR) continue;
        vl_error_set(err, VL_EIO, "read failed after %llu bytes: %s", (unsigned long long)r->bytes,
                     strerror(errno));
        return -1;
    }
}

int vl_ndjson_next(vl_ndjson_reader *r, vl_sv *line, bool *too_large, vl_error *err) {
    *too_large = false;
    while (r->skipping) {
        char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
        if (nl) {
            size_t used = (size_t)(nl + 1 - (r->buf + r->start));
            r->bytes += used;
            r->start += used;
            r->skipping = false;
            break;
        }
        r->bytes += r->end - r->start;
        r->start = r->end;
        if (r->eof) return 0;
        ssize_t n = refill(r, err);
        if (n < 0) return -1;
    }
    for (;;) {
        char *s = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = memchr(s, '\n', avail);
        if (nl) {
            size_t len = (size_t)(nl - s);
            r->start += len + 1;
            r->bytes += len + 1;
            r->line_no++;
            if (len > r->max_line) { /* long line that happened to fit the buffer */
                *too_large = true;
                len = r->max_line + 1;
            } else if (len && s[len - 1] == '\r') {
                len--;
            }
            *line = (vl_sv){s, len};
            return 1;
        }
        if (avail > r->max_line) {
            /* no newline within the limit: hand out a prefix, skip the rest */
            r->line_no++;
            *too_large = true;
            *line = (vl_sv){s, r->max_line + 1};
            r->bytes += avail;
            r->start = r->end;
            r->skipping = true;
            return 1;
        }
        if (r->eof) {
            if (avail == 0) return 0;
            r->start = r->end;
            r->bytes += avail;
            r->line_no++;
            if (avail && s[avail - 1] == '\r') avail--;
            *line = (vl_sv){s, avail};
            return 1;
        }
        if (refill(r, err) < 0) return -1;
    }
}
