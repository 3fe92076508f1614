/* vidlake - Apache-2.0 */
/* gen_sink: the file/stdout sink and the dispatch on --to. */
#include "gen_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fd_sink {
    gen_sink base;
    int fd;
} fd_sink;

static const char *fd_name(const fd_sink *s) { return strcmp(s->base.to, "-") == 0 ? "stdout" : s->base.to; }

static int fd_write(gen_sink *base, const char *p, size_t n, vl_error *err) {
    fd_sink *s = (fd_sink *)base;
    while (n) {
        ssize_t w = write(s->fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return vl_error_set(err, VL_EIO, "writing to %s: %s", fd_name(s), strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return VL_OK;
}

static int fd_finish(gen_sink *base, vl_error *err) {
    fd_sink *s = (fd_sink *)base;
    if (s->fd != 1 && close(s->fd) != 0) {
        s->fd = -1;
        return vl_error_set(err, VL_EIO, "%s: %s", s->base.to, strerror(errno));
    }
    s->fd = -1;
    return VL_OK;
}

static void fd_free(gen_sink *base) {
    fd_sink *s = (fd_sink *)base;
    if (s->fd > 1) close(s->fd);
    vl_free(s);
}

static const gen_sink_ops fd_ops = {fd_write, fd_finish, fd_free};

int gen_sink_open(const char *to, const char *const *props, size_t n_props, gen_sink **out, vl_error *err) {
    *out = NULL;
    if (strncmp(to, "http://", 7) == 0) return gen_http_open(to, props, n_props, out, err);
    if (strncmp(to, "https://", 8) == 0)
        return vl_error_set(err, VL_EINVAL, "--to %s: https is not supported; the collector speaks plain HTTP "
                                            "(put a TLS proxy in front of it)", to);
    if (strncmp(to, "kafka://", 8) == 0) return gen_kafka_open(to, props, n_props, out, err);
    if (n_props) return vl_error_set(err, VL_EINVAL, "--to %s: -X %s: a file takes no settings", to, props[0]);
    fd_sink *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    s->base.ops = &fd_ops;
    s->base.to = to;
    s->fd = 1;
    if (strcmp(to, "-") != 0) {
        s->fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (s->fd < 0) {
            int e = errno;
            vl_free(s);
            return vl_error_set(err, VL_EIO, "--to %s: %s", to, strerror(e));
        }
    }
    *out = &s->base;
    return VL_OK;
}
