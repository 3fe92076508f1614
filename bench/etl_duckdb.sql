-- vidlake - Apache-2.0
-- vidlake's batch pipeline (docs/metrics.md: "From events to views", "The
-- metrics", "The batch tables") written as DuckDB SQL, independently of
-- src/etl: bronze/events -> silver_events -> silver_views -> qoe_daily,
-- content_daily, ad_daily, kpi_daily.
--
-- Input: the variable bronze_files, the live Parquet files of bronze/events
-- (`vidlake table files LAKE/bronze/events`) in arrival order, e.g.
--   SET VARIABLE bronze_files = ['/lake/bronze/events/event_date=2024-05-01/part-0.parquet', ...];
-- A file's rows are in arrival order, so an event's place in the arrival
-- order is (its file's place in the list, its row number in the file).
-- Run with TimeZone = 'UTC' (timestamps are computed as epoch microseconds;
-- the session time zone only matters for casts of TIMESTAMPTZ).
-- Used by tests/peers/etl_duckdb.mjs (which prints the tables as NDJSON) and
-- by the benchmark ("the same pipeline written as DuckDB SQL").

-- ------------------------------------------------------------ silver_events
-- One row per event_id: the first to arrive (resends are identical).
-- Extra columns: event_us (event_time in microseconds since the epoch) and
-- arrival (its place in the arrival order).
CREATE OR REPLACE TEMP TABLE bronze_file_order AS
SELECT unnest(f) AS filename, generate_subscripts(f, 1) AS file_pos
FROM (SELECT getvariable('bronze_files') AS f);

-- (two passes over bronze, the first with two columns, are faster than a
-- window over every column)
CREATE OR REPLACE TABLE silver_events AS
WITH firsts AS (
    SELECT min(arrival) AS arrival
    FROM (SELECT r.event_id, o.file_pos * 4294967296 + r.file_row_number AS arrival
          FROM read_parquet(getvariable('bronze_files'), filename = true, file_row_number = true) r
          JOIN bronze_file_order o USING (filename))
    GROUP BY event_id, CASE WHEN event_id IS NULL THEN arrival END -- events without an id are all kept
)
SELECT b.*
FROM (SELECT r.* EXCLUDE (filename, file_row_number),
             epoch_us(r.event_time) AS event_us,
             o.file_pos * 4294967296 + r.file_row_number AS arrival
      FROM read_parquet(getvariable('bronze_files'), filename = true, file_row_number = true,
                        hive_partitioning = true, hive_types = {'event_date': DATE}) r
      JOIN bronze_file_order o USING (filename)) b
SEMI JOIN firsts USING (arrival);

-- ------------------------------------------------------------- silver_views
-- A view is folded over all of its events (docs/metrics.md).
-- A view's events in order: event time, then arrival. After each event: the
-- view's playing / paused state and bitrate (the last event that set them),
-- and whether it has started (a play so far).
CREATE OR REPLACE TEMP TABLE view_events AS
SELECT view_id, event_us AS t, arrival, event_type AS ty, buffer_ms,
       coalesce(last_value(CASE WHEN event_type IN ('play', 'buffer') THEN true
                                WHEN event_type IN ('pause', 'ad_impression', 'stop')
                                  OR (event_type = 'error' AND error_fatal) THEN false END IGNORE NULLS) OVER w,
                false) AS playing,
       coalesce(last_value(CASE WHEN event_type IN ('play', 'buffer', 'stop')
                                  OR (event_type = 'error' AND error_fatal) THEN false
                                WHEN event_type = 'pause' THEN true END IGNORE NULLS) OVER w,
                false) AS paused,
       bitrate_kbps AS br_raw,
       bool_or(event_type = 'play') OVER w AS started
FROM silver_events
WHERE view_id IS NOT NULL
WINDOW w AS (PARTITION BY view_id ORDER BY event_us, arrival ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW);

-- The intervals between a view's consecutive instants (distinct event
-- times). The interval ending at instant t starts at the previous instant p:
-- watch time when the view was playing after p's events, less the stalls of
-- the buffer events at t (never below 0), at the bitrate after p's events;
-- pause time when it was paused after p. The buffers at t (after the first
-- frame) are seek stalls when p's last event is a seek.
CREATE OR REPLACE TEMP TABLE view_intervals AS
WITH inst AS (
    SELECT view_id, t,
           arg_max(playing, arrival) AS playing,
           arg_max(paused, arrival) AS paused,
           -- the bitrate after the instant: a quality_change's at it, else the
           -- last-arrived bitrate at it (a late play still reports the old one)
           coalesce(arg_max(br_raw, arrival) FILTER (WHERE ty = 'quality_change' AND br_raw IS NOT NULL),
                    arg_max(br_raw, arrival) FILTER (WHERE br_raw IS NOT NULL)) AS inst_bitrate,
           arg_max(coalesce(ty, ''), arrival) AS last_ty,
           coalesce(sum(buffer_ms) FILTER (WHERE ty = 'buffer' AND buffer_ms > 0), 0) AS buf_deduct,
           coalesce(sum(buffer_ms) FILTER (WHERE ty = 'buffer' AND started), 0) AS buf_stall,
           count(*) FILTER (WHERE ty = 'buffer' AND started) AS n_stall
    FROM view_events
    GROUP BY view_id, t
), inst2 AS (
    SELECT *, coalesce(last_value(inst_bitrate IGNORE NULLS) OVER (PARTITION BY view_id ORDER BY t
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS bitrate
    FROM inst
), iv AS (
    SELECT view_id, t, buf_deduct, buf_stall, n_stall,
           lag(t) OVER v AS pt,
           coalesce(lag(playing) OVER v, false) AS p_playing,
           coalesce(lag(paused) OVER v, false) AS p_paused,
           coalesce(lag(bitrate) OVER v, 0) AS p_bitrate,
           lag(last_ty) OVER v AS before_ty
    FROM inst2
    WINDOW v AS (PARTITION BY view_id ORDER BY t)
), len AS (
    SELECT *, CASE WHEN p_playing THEN (t - pt) // 1000 ELSE 0 END AS iv_ms
    FROM iv
)
SELECT view_id,
       sum(CASE WHEN iv_ms > 0 THEN greatest(iv_ms - buf_deduct, 0) ELSE 0 END)::BIGINT AS watch_ms,
       sum(CASE WHEN iv_ms > 0 THEN greatest(iv_ms - buf_deduct, 0) ELSE 0 END * p_bitrate)::BIGINT AS br_ms,
       sum(CASE WHEN p_paused THEN (t - pt) // 1000 ELSE 0 END)::BIGINT AS pause_ms,
       sum(CASE WHEN before_ty IS DISTINCT FROM 'seek' THEN buf_stall ELSE 0 END)::BIGINT AS stall_ms,
       sum(CASE WHEN before_ty IS DISTINCT FROM 'seek' THEN n_stall ELSE 0 END)::INTEGER AS stall_count,
       sum(CASE WHEN before_ty = 'seek' THEN buf_stall ELSE 0 END)::BIGINT AS seek_stall_ms
FROM len
GROUP BY view_id;

CREATE OR REPLACE TABLE silver_views AS
WITH e AS (
    -- o: the place in the view's order (event time, then arrival)
    SELECT *, event_us::HUGEINT * 18446744073709551616 + arrival AS o,
           coalesce(event_type = 'error' AND error_fatal, false) AS fatal
    FROM silver_events
    WHERE view_id IS NOT NULL
), agg AS (
    SELECT view_id,
           min(event_us) AS first_us, max(event_us) AS last_us,
           -- the dimensions: the first non-null value (arg_min skips nulls)
           arg_min(user_id, o) AS user_id, arg_min(session_id, o) AS session_id,
           arg_min(content_id, o) AS content_id, arg_min(content_type, o) AS content_type,
           arg_min(device_type, o) AS device_type, arg_min(os, o) AS os, arg_min(country, o) AS country,
           arg_min(cdn, o) AS cdn, arg_min(subscription_tier, o) AS subscription_tier,
           bool_or(event_type = 'play') AS started,
           -- the first play's startup_ms (none when it has none)
           arg_min(coalesce(startup_ms, -1), o) FILTER (WHERE event_type = 'play') AS startup,
           bool_or(fatal) AS fatal,
           bool_or(event_type = 'stop' OR fatal) AS ended,
           greatest(coalesce(max(position_ms), 0), 0) AS furthest,
           greatest(coalesce(max(duration_ms), 0), 0) AS duration,
           count(*) FILTER (WHERE event_type = 'ad_impression') AS ad_impressions,
           count(*) FILTER (WHERE event_type = 'ad_complete') AS ad_completes,
           count(*) FILTER (WHERE event_type = 'ad_skip') AS ad_skips,
           count(*) FILTER (WHERE event_type = 'ad_click') AS ad_clicks,
           -- revenue in micro-dollars, exactly (round: half away from zero, as llround)
           coalesce(sum(round(ad_revenue_usd * 1e6)::BIGINT), 0) AS rev_micros,
           count(*) AS events
    FROM e
    GROUP BY view_id
), v AS (
    SELECT a.*, i.watch_ms, i.br_ms, i.pause_ms, i.stall_ms, i.stall_count, i.seek_stall_ms,
           a.duration > 0 AND a.furthest * 10 >= a.duration * 9 AS completed
    FROM agg a JOIN view_intervals i USING (view_id)
)
SELECT view_id,
       CAST(make_timestamp(first_us) AS DATE) AS view_date,
       make_timestamp(first_us) AS attempt_time,
       make_timestamp(last_us) AS last_event_time,
       user_id, session_id, content_id, content_type, device_type, os, country, cdn, subscription_tier,
       started,
       CASE WHEN started AND startup >= 0 THEN startup END::INTEGER AS startup_ms,
       watch_ms, pause_ms, stall_ms, stall_count, seek_stall_ms,
       CASE WHEN watch_ms > 0 THEN br_ms::DOUBLE / watch_ms::DOUBLE END AS avg_bitrate_kbps,
       furthest AS furthest_ms,
       CASE WHEN duration > 0 THEN duration END AS duration_ms,
       CASE WHEN duration > 0 THEN furthest::DOUBLE / duration::DOUBLE END AS completion_ratio,
       completed,
       CASE WHEN fatal THEN (CASE WHEN started THEN 'vpf' ELSE 'vsf' END)
            WHEN ended THEN (CASE WHEN NOT started THEN 'ebvs' WHEN completed THEN 'completed' ELSE 'exited' END)
            ELSE 'in_progress' END AS outcome,
       ad_impressions::INTEGER AS ad_impressions, ad_completes::INTEGER AS ad_completes,
       ad_skips::INTEGER AS ad_skips, ad_clicks::INTEGER AS ad_clicks,
       rev_micros::DOUBLE / 1e6 AS ad_revenue_usd,
       events::INTEGER AS events
FROM v;

-- ---------------------------------------------------------------- qoe_daily
-- Sums of doubles run in view_id order (list_sum over an ordered list: sum()
-- ignores ORDER BY), so that they do not depend on the order DuckDB's threads
-- meet the rows in.
-- Startup quantiles: the value at rank floor(q * (n - 1)) (0-based) of the
-- sorted startup times, exactly (DuckDB's quantile_disc ranks differently).
CREATE OR REPLACE TABLE qoe_daily AS
WITH g AS (
    SELECT view_date AS date, device_type, country, cdn, os,
           count(*) AS attempts,
           count(*) FILTER (WHERE started) AS plays,
           count(*) FILTER (WHERE outcome = 'vsf') AS vsf,
           count(*) FILTER (WHERE outcome = 'ebvs') AS ebvs,
           count(*) FILTER (WHERE outcome = 'vpf') AS vpf,
           list_sort(list(startup_ms) FILTER (WHERE started AND startup_ms IS NOT NULL)) AS startups,
           sum(watch_ms) AS watch_ms,
           sum(stall_ms) AS stall_ms,
           list_sum(list(avg_bitrate_kbps * watch_ms ORDER BY view_id) FILTER (WHERE watch_ms > 0)) AS br_sum,
           sum(watch_ms) FILTER (WHERE watch_ms > 0) AS br_watch
    FROM silver_views
    GROUP BY ALL
)
SELECT date, device_type, country, cdn, os,
       attempts::BIGINT AS attempts, plays::BIGINT AS plays,
       vsf::BIGINT AS vsf, ebvs::BIGINT AS ebvs, vpf::BIGINT AS vpf,
       vsf / attempts AS vsf_rate,
       ebvs / attempts AS ebvs_rate,
       CASE WHEN plays > 0 THEN vpf / plays END AS vpf_rate,
       startups[floor(0.5 * (len(startups) - 1))::BIGINT + 1] AS startup_ms_p50,
       startups[floor(0.9 * (len(startups) - 1))::BIGINT + 1] AS startup_ms_p90,
       watch_ms::DOUBLE / 3600000 AS watch_hours,
       stall_ms::BIGINT AS stall_ms,
       watch_ms::BIGINT AS watch_ms,
       CASE WHEN watch_ms + stall_ms <> 0 THEN stall_ms::DOUBLE / (watch_ms + stall_ms)::DOUBLE END AS rebuffering_ratio,
       CASE WHEN br_watch > 0 THEN br_sum / br_watch::DOUBLE END AS avg_bitrate_kbps
FROM g;

-- ------------------------------------------------------------ content_daily
-- Rows: the content_ids of the day's views; interactions: the events with
-- that content_id on that event_date.
CREATE OR REPLACE TABLE content_daily AS
WITH g AS (
    SELECT view_date AS date, content_id,
           min(content_type) AS content_type,
           count(*) AS views,
           count(*) FILTER (WHERE started) AS plays,
           count(DISTINCT user_id) AS unique_viewers,
           sum(watch_ms) AS watch_ms,
           count(*) FILTER (WHERE completed) AS completions,
           list_avg(list(least(completion_ratio, 1) * 100 ORDER BY view_id) FILTER (WHERE started AND duration_ms > 0))
               AS avg_pct_watched,
           count(*) FILTER (WHERE started AND duration_ms > 0) AS with_duration,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 10) AS r10,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 20) AS r20,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 30) AS r30,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 40) AS r40,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 50) AS r50,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 60) AS r60,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 70) AS r70,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 80) AS r80,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms * 100 >= duration_ms * 90) AS r90,
           count(*) FILTER (WHERE started AND duration_ms > 0 AND furthest_ms >= duration_ms) AS r100
    FROM silver_views
    WHERE content_id IS NOT NULL
    GROUP BY ALL
), inter AS (
    SELECT event_date AS date, content_id,
           count(*) FILTER (WHERE event_type = 'like') AS likes,
           count(*) FILTER (WHERE event_type = 'dislike') AS dislikes,
           count(*) FILTER (WHERE event_type = 'comment') AS comments,
           count(*) FILTER (WHERE event_type = 'share') AS shares
    FROM silver_events
    WHERE content_id IS NOT NULL AND event_type IN ('like', 'dislike', 'comment', 'share')
    GROUP BY ALL
)
SELECT g.date, g.content_id, content_type,
       views::BIGINT AS views, plays::BIGINT AS plays, unique_viewers::BIGINT AS unique_viewers,
       watch_ms::DOUBLE / 3600000 AS watch_hours,
       completions::BIGINT AS completions,
       CASE WHEN plays > 0 THEN completions / plays END AS completion_rate,
       avg_pct_watched,
       CASE WHEN with_duration > 0 THEN r10 / with_duration END AS retention_10,
       CASE WHEN with_duration > 0 THEN r20 / with_duration END AS retention_20,
       CASE WHEN with_duration > 0 THEN r30 / with_duration END AS retention_30,
       CASE WHEN with_duration > 0 THEN r40 / with_duration END AS retention_40,
       CASE WHEN with_duration > 0 THEN r50 / with_duration END AS retention_50,
       CASE WHEN with_duration > 0 THEN r60 / with_duration END AS retention_60,
       CASE WHEN with_duration > 0 THEN r70 / with_duration END AS retention_70,
       CASE WHEN with_duration > 0 THEN r80 / with_duration END AS retention_80,
       CASE WHEN with_duration > 0 THEN r90 / with_duration END AS retention_90,
       CASE WHEN with_duration > 0 THEN r100 / with_duration END AS retention_100,
       coalesce(likes, 0)::BIGINT AS likes, coalesce(dislikes, 0)::BIGINT AS dislikes,
       coalesce(comments, 0)::BIGINT AS comments, coalesce(shares, 0)::BIGINT AS shares
FROM g LEFT JOIN inter i ON i.date = g.date AND i.content_id = g.content_id;

-- ----------------------------------------------------------------- ad_daily
-- Revenue: each event's ad_revenue_usd rounded to micro-dollars (halves
-- away from zero) and summed exactly, as everywhere in the batch tables.
CREATE OR REPLACE TABLE ad_daily AS
WITH g AS (
    SELECT event_date AS date, ad_campaign_id, ad_position,
           count(*) FILTER (WHERE event_type = 'ad_impression') AS impressions,
           count(*) FILTER (WHERE event_type = 'ad_click') AS clicks,
           count(*) FILTER (WHERE event_type = 'ad_complete') AS completes,
           count(*) FILTER (WHERE event_type = 'ad_skip') AS skips,
           coalesce(sum(round(ad_revenue_usd * 1e6)::BIGINT)
                        FILTER (WHERE event_type IN ('ad_impression', 'ad_click')), 0)::DOUBLE / 1e6 AS revenue
    FROM silver_events
    WHERE event_type IN ('ad_impression', 'ad_click', 'ad_complete', 'ad_skip')
    GROUP BY ALL
)
SELECT date, ad_campaign_id, ad_position,
       impressions::BIGINT AS impressions, clicks::BIGINT AS clicks,
       completes::BIGINT AS completes, skips::BIGINT AS skips,
       CASE WHEN impressions > 0 THEN clicks / impressions END AS ctr,
       CASE WHEN impressions > 0 THEN completes / impressions END AS completion_rate,
       CASE WHEN impressions > 0 THEN skips / impressions END AS skip_rate,
       revenue AS revenue_usd,
       CASE WHEN impressions > 0 THEN revenue / impressions * 1000 END AS ecpm_usd
FROM g;

-- ---------------------------------------------------------------- kpi_daily
-- (ad_revenue_usd summed as in ad_daily)
CREATE OR REPLACE TABLE kpi_daily AS
WITH user_days AS (
    SELECT DISTINCT event_date AS date, user_id FROM silver_events WHERE user_id IS NOT NULL
), days AS (
    SELECT event_date AS date,
           coalesce(sum(round(ad_revenue_usd * 1e6)::BIGINT), 0)::DOUBLE / 1e6 AS revenue
    FROM silver_events
    GROUP BY ALL
), active AS (
    SELECT d.date,
           count(DISTINCT u.user_id) FILTER (WHERE u.date = d.date) AS dau,
           count(DISTINCT u.user_id) FILTER (WHERE u.date > d.date - 7) AS wau,
           count(DISTINCT u.user_id) AS mau
    FROM days d JOIN user_days u ON u.date <= d.date AND u.date > d.date - 30
    GROUP BY d.date
), first_days AS (
    SELECT min(date) AS date, user_id FROM user_days GROUP BY user_id
), new_users AS (
    SELECT date, count(*) AS new_users FROM first_days GROUP BY date
), views AS (
    SELECT view_date AS date,
           count(*) AS attempts,
           count(*) FILTER (WHERE started) AS plays,
           count(*) FILTER (WHERE outcome = 'vsf') AS vsf,
           sum(watch_ms) AS watch_ms,
           sum(stall_ms) AS stall_ms
    FROM silver_views
    GROUP BY ALL
)
SELECT d.date,
       coalesce(a.dau, 0)::BIGINT AS dau, coalesce(a.wau, 0)::BIGINT AS wau, coalesce(a.mau, 0)::BIGINT AS mau,
       CASE WHEN a.mau > 0 THEN a.dau / a.mau END AS stickiness,
       coalesce(n.new_users, 0)::BIGINT AS new_users,
       coalesce(v.plays, 0)::BIGINT AS plays,
       coalesce(v.attempts, 0)::BIGINT AS attempts,
       coalesce(v.watch_ms, 0)::DOUBLE / 3600000 AS watch_hours,
       d.revenue AS ad_revenue_usd,
       CASE WHEN v.attempts > 0 THEN v.vsf / v.attempts END AS vsf_rate,
       CASE WHEN v.watch_ms + v.stall_ms <> 0 THEN v.stall_ms::DOUBLE / (v.watch_ms + v.stall_ms)::DOUBLE END
           AS rebuffering_ratio
FROM days d
LEFT JOIN active a ON a.date = d.date
LEFT JOIN new_users n ON n.date = d.date
LEFT JOIN views v ON v.date = d.date;
