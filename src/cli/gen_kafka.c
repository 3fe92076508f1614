/* vidlake - Apache-2.0 */
/* gen_kafka: producing to a Kafka topic (being written). */
#include "gen_sink.h"

int gen_kafka_open(const char *url, const char *const *props, size_t n_props, gen_sink **out, vl_error *err) {
    (void)props;
    (void)n_props;
    *out = NULL;
    return vl_error_set(err, VL_EINVAL, "--to %s: producing to Kafka is not supported yet", url);
}
