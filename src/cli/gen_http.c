/* vidlake - Apache-2.0 */
/* gen_http: batched POSTs to the collector (being written). */
#include "gen_sink.h"

int gen_http_open(const char *url, gen_sink **out, vl_error *err) {
    *out = NULL;
    return vl_error_set(err, VL_EINVAL, "--to %s: sending events over HTTP is not supported yet", url);
}
