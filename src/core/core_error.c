/* vidlake - Apache-2.0 */
/*
 * The error type: a pinned code plus a message with context. Setting an error
 * never allocates and never fails; messages are truncated to fit.
 */
#include "core.h"

#include <string.h>

int vl_error_set(vl_error *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void vl_error_prefix(vl_error *err, const char *fmt, ...) {
    if (!err) return;
    char head[256];
    va_list ap;
    va_start(ap, fmt);
    int hn = vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    if (hn < 0) return;
    size_t h = (size_t)hn < sizeof(head) ? (size_t)hn : sizeof(head) - 1;
    size_t m = strnlen(err->msg, sizeof(err->msg));
    if (h + m >= sizeof(err->msg)) m = sizeof(err->msg) - 1 - h;
    memmove(err->msg + h, err->msg, m);
    memcpy(err->msg, head, h);
    err->msg[h + m] = '\0';
}

const char *vl_strerror(int code) {
    static const char *const names[] = {
        [VL_OK] = "OK",           [VL_EINVAL] = "EINVAL",     [VL_ENOMEM] = "ENOMEM",
        [VL_EIO] = "EIO",         [VL_ECORRUPT] = "ECORRUPT", [VL_ENOTSUP] = "ENOTSUP",
        [VL_ERANGE] = "ERANGE",   [VL_ECONFLICT] = "ECONFLICT", [VL_EAGAIN] = "EAGAIN",
        [VL_ENOTFOUND] = "ENOTFOUND",
    };
    if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]) || !names[code])
        return "EUNKNOWN";
    return names[code];
}
