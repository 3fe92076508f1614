/* vidlake - Apache-2.0 */
/*
 * ingest: turning validated events into stored data. This first part is the
 * column batch: decoded events are appended field by field into columnar
 * arrays (the layout the Parquet writer takes), so the ingest hot path never
 * boxes rows; and the Parquet schema of an event, derived from the event
 * schema table (one leaf per field, in table order).
 *
 * Sources (HTTP, Kafka, files), the write-ahead log and the bronze sinks
 * build on this.
 */
#ifndef VL_INGEST_H
#define VL_INGEST_H

#include "core/core.h"
#include "event/event.h"
#include "parquet/parquet.h"

/**
 * @brief The Parquet schema of events: out[0] is the root, then one leaf per
 * event field (VL_F_COUNT + 1 elements). Required fields are REQUIRED, the
 * rest OPTIONAL; strings and enums are STRING, timestamps
 * TIMESTAMP(MICROS, UTC), dates DATE, `extra` a STRING holding JSON.
 * @note Names point to static storage.
 */
void vl_event_parquet_schema(vl_pq_schema_elem out[VL_F_COUNT + 1]);

typedef struct vl_event_batch vl_event_batch;

/** @brief A batch of at most cap rows. @return VL_OK, VL_EINVAL, VL_ENOMEM. */
int vl_event_batch_create(size_t cap, vl_event_batch **out, vl_error *err) VL_MUST_CHECK;
void vl_event_batch_destroy(vl_event_batch *b); /* accepts NULL */
/** @brief Appends one validated event; its strings are copied.
 *  @return VL_OK, VL_ERANGE (the batch is full), VL_ENOMEM. */
int vl_event_batch_add(vl_event_batch *b, const vl_event *ev, vl_error *err) VL_MUST_CHECK;
size_t vl_event_batch_rows(const vl_event_batch *b);
bool vl_event_batch_full(const vl_event_batch *b);
/** @brief Empties the batch, keeping its memory. */
void vl_event_batch_clear(vl_event_batch *b);
/** @brief Fills cols[VL_F_COUNT] with views of the batch's columns, ready for
 *  vl_pq_writer_write. Valid until the batch changes. */
void vl_event_batch_columns(const vl_event_batch *b, vl_pq_column cols[VL_F_COUNT]);

#endif /* VL_INGEST_H */
