-- vidlake - Apache-2.0
-- vidlake's batch pipeline (docs/metrics.md: "From events to views", "The
-- metrics", "The batch tables") written as DuckDB SQL, independently of
-- src/etl: bronze/events -> silver_events -> silver_views -> qoe_daily,
-- content_daily, ad_daily, kpi_daily, user_daily -> user_segments,
-- churn_features (with its churn model, and vl_hash64 for the model's
-- train/test split; churn_model holds the model's figures).
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
-- (ad_revenue_usd summed as in ad_daily; churn_rate_7d: of the users active
-- in the week before last, the share with no event in the last week)
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
), churn AS (
    -- of the users active in the week before last (d - 13 .. d - 7), those
    -- with no event in the last week (d - 6 .. d)
    SELECT date,
           count(*) FILTER (WHERE before_last) AS active_before,
           count(*) FILTER (WHERE before_last AND NOT last_week) AS lost
    FROM (SELECT d.date, u.user_id,
                 bool_or(u.date <= d.date - 7) AS before_last,
                 bool_or(u.date > d.date - 7) AS last_week
          FROM days d JOIN user_days u ON u.date <= d.date AND u.date >= d.date - 13
          GROUP BY d.date, u.user_id)
    GROUP BY date
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
           AS rebuffering_ratio,
       -- null until the week before last is inside the data
       CASE WHEN c.active_before > 0 AND d.date - 13 >= (SELECT min(date) FROM days)
            THEN c.lost / c.active_before END AS churn_rate_7d
FROM days d
LEFT JOIN active a ON a.date = d.date
LEFT JOIN churn c ON c.date = d.date
LEFT JOIN new_users n ON n.date = d.date
LEFT JOIN views v ON v.date = d.date;

-- --------------------------------------------------------------- user_daily
-- One row per event_date x user_id of silver_events (country: the smallest
-- of the day's events, subscription_tier: the largest), with that user's
-- views of that view_date (silver_views; views of a user with no event that
-- event_date are not in the table). Null is not a join key: events without
-- a user_id make a row of their own, without views.
CREATE OR REPLACE TABLE user_daily AS
WITH ev AS (
    SELECT event_date AS date, user_id,
           min(country) AS country, max(subscription_tier) AS subscription_tier,
           count(*) AS events,
           count(DISTINCT session_id) AS sessions,
           count(*) FILTER (WHERE event_type = 'like') AS likes,
           count(*) FILTER (WHERE event_type = 'dislike') AS dislikes,
           count(*) FILTER (WHERE event_type = 'comment') AS comments,
           count(*) FILTER (WHERE event_type = 'share') AS shares,
           count(*) FILTER (WHERE event_type = 'subscribe') AS subscribes
    FROM silver_events
    GROUP BY ALL
), vw AS (
    SELECT view_date AS date, user_id,
           count(*) AS views,
           count(*) FILTER (WHERE started) AS plays,
           sum(watch_ms) AS watch_ms,
           sum(stall_ms) AS stall_ms,
           count(*) FILTER (WHERE outcome = 'vsf') AS vsf,
           count(DISTINCT content_id) AS contents,
           count(DISTINCT device_type) AS devices,
           sum(ad_impressions) AS ad_impressions
    FROM silver_views
    GROUP BY ALL
)
SELECT e.date, e.user_id, e.country, e.subscription_tier,
       e.events::BIGINT AS events, e.sessions::BIGINT AS sessions,
       coalesce(v.views, 0)::BIGINT AS views, coalesce(v.plays, 0)::BIGINT AS plays,
       coalesce(v.watch_ms, 0)::BIGINT AS watch_ms, coalesce(v.stall_ms, 0)::BIGINT AS stall_ms,
       coalesce(v.vsf, 0)::BIGINT AS vsf,
       coalesce(v.contents, 0)::BIGINT AS contents, coalesce(v.devices, 0)::BIGINT AS devices,
       coalesce(v.ad_impressions, 0)::BIGINT AS ad_impressions,
       e.likes::BIGINT AS likes, e.dislikes::BIGINT AS dislikes, e.comments::BIGINT AS comments,
       e.shares::BIGINT AS shares, e.subscribes::BIGINT AS subscribes
FROM ev e LEFT JOIN vw v ON v.date = e.date AND v.user_id = e.user_id;

-- ------------------------------------------------------ the users as of a day
-- user_segments and churn_features are "as of" day A, the newest date of
-- user_daily. The churn model trains on the users as of A - 7, when the
-- data goes back that far (the 7 days after it label them).
SET VARIABLE as_of = (SELECT max(date) FROM user_daily);
SET VARIABLE can_train = coalesce((SELECT min(date) <= max(date) - 7 FROM user_daily), false);

-- Per user active in the 28 days a - 27 .. a of user_daily, the sums the
-- two tables are made of (features() in src/etl/etl_users.c): the largest
-- tier, the smallest country, the active days, the first and last of them,
-- sums over the 28 days and over the last 7 (a - 6 .. a), the watch time on
-- Saturdays and Sundays, the most devices in a day, and whether the user
-- was seen on a day before the window (seen_before). Sums are BIGINT (SUM
-- of BIGINT is HUGEINT in DuckDB) so that ratios divide the same doubles.
CREATE OR REPLACE TEMP MACRO user_features(a) AS TABLE
SELECT a AS as_of, user_id,
       max(subscription_tier) AS tier,
       min(country) AS country,
       count(*)::BIGINT AS days,
       min(date) AS first_day,
       max(date) AS last_day,
       sum(views)::BIGINT AS views,
       sum(watch_ms)::BIGINT AS watch,
       sum(stall_ms)::BIGINT AS stall,
       sum(vsf)::BIGINT AS vsf,
       sum(dislikes)::BIGINT AS dislikes,
       sum(sessions)::BIGINT AS sessions,
       max(devices)::BIGINT AS devices,
       sum(CASE WHEN date > a - 7 THEN views ELSE 0 END)::BIGINT AS views7,
       sum(CASE WHEN date > a - 7 THEN watch_ms ELSE 0 END)::BIGINT AS watch7,
       sum(CASE WHEN isodow(date) >= 6 THEN watch_ms ELSE 0 END)::BIGINT AS weekend_watch,
       user_id IN (SELECT user_id FROM user_daily WHERE date < a - 27 AND user_id IS NOT NULL) AS seen_before
FROM user_daily
WHERE date BETWEEN a - 27 AND a
GROUP BY user_id;

-- ------------------------------------------------------------ user_segments
-- Partition date = A; the segment is the first rule that holds (a ratio
-- with a zero denominator is null, and a null rule does not hold).
CREATE OR REPLACE TABLE user_segments AS
SELECT as_of AS date, user_id,
       CASE WHEN NOT seen_before AND first_day >= as_of - 6 THEN 'new'
            WHEN last_day <= as_of - 7 THEN 'lapsing'
            WHEN watch::DOUBLE / 3600000 / days >= 2 OR views::DOUBLE / nullif(sessions, 0) >= 3 THEN 'binge'
            WHEN weekend_watch::DOUBLE / nullif(watch, 0) >= 0.6::DOUBLE THEN 'weekend'
            ELSE 'casual' END AS segment,
       tier AS subscription_tier, country,
       days AS active_days_28,
       views AS views_28,
       watch::DOUBLE / 3600000 AS watch_hours_28,
       weekend_watch::DOUBLE / nullif(watch, 0) AS weekend_share,
       views::DOUBLE / nullif(sessions, 0) AS views_per_session,
       first_day AS first_active, last_day AS last_active,
       (as_of - last_day)::BIGINT AS days_since_last,
       seen_before AS "returning"
FROM user_features(getvariable('as_of'));

-- ----------------------------------------------------------- churn_features
-- The feature columns of the users as of day a (churn_rows() in
-- etl_users.c): watch_trend = watch_7d / (watch_28d / 4).
CREATE OR REPLACE TEMP MACRO churn_rows(a) AS TABLE
SELECT as_of AS date, user_id, tier AS subscription_tier,
       (as_of - last_day)::BIGINT AS days_since_last,
       views7 AS views_7d, views AS views_28d,
       watch7::DOUBLE / 3600000 AS watch_hours_7d,
       watch::DOUBLE / 3600000 AS watch_hours_28d,
       watch7::DOUBLE / nullif(watch::DOUBLE / 4, 0) AS watch_trend,
       stall::DOUBLE / nullif(watch + stall, 0) AS rebuffering_ratio_28d,
       vsf AS vsf_28d, dislikes AS dislikes_28d, devices, days AS active_days_28
FROM user_features(a);

-- vl_hash64(s, len, seed) of src/core/core_hash.c in 64-bit unsigned
-- arithmetic, for the 80/20 split of the training users (test: the hash of
-- user_id with seed 0x636875726e is a multiple of 5). Products are taken in
-- UHUGEINT; fold_mul xors the two halves of the 128-bit product, u64_wrap
-- keeps the low half (multiplication modulo 2^64).
CREATE OR REPLACE TEMP MACRO u64_wrap(x) AS (x & '18446744073709551615'::UHUGEINT)::UBIGINT;
CREATE OR REPLACE TEMP MACRO fold_mul(a, b) AS
    xor(u64_wrap(a::UHUGEINT * b::UHUGEINT), ((a::UHUGEINT * b::UHUGEINT) >> 64)::UBIGINT);
CREATE OR REPLACE TEMP MACRO xorshift(x, k) AS xor(x, x >> k);
-- vl_mix64, the SplitMix64 finaliser
CREATE OR REPLACE TEMP MACRO mix64(x) AS
    xorshift(u64_wrap(xorshift(u64_wrap(xorshift(x, 30)::UHUGEINT * '0xbf58476d1ce4e5b9'::UBIGINT::UHUGEINT), 27)::UHUGEINT
                      * '0x94d049bb133111eb'::UBIGINT::UHUGEINT), 31);
CREATE OR REPLACE TEMP MACRO hash_k0() AS '0x243f6a8885a308d3'::UBIGINT;
CREATE OR REPLACE TEMP MACRO hash_k1() AS '0xb7e151628aed2a6b'::UBIGINT;
-- the bytes of a string as hex digits (hx): byte i, and the little-endian
-- 32- and 64-bit words at byte o
CREATE OR REPLACE TEMP MACRO hx_byte(hx, i) AS ('0x' || substr(hx, 2 * (i) + 1, 2))::UBIGINT;
CREATE OR REPLACE TEMP MACRO hx_u32(hx, o) AS
    hx_byte(hx, o) | (hx_byte(hx, (o) + 1) << 8) | (hx_byte(hx, (o) + 2) << 16) | (hx_byte(hx, (o) + 3) << 24);
CREATE OR REPLACE TEMP MACRO hx_u64(hx, o) AS hx_u32(hx, o) | (hx_u32(hx, (o) + 4) << 32);

-- The rows of both days, each with the model's 13 inputs x (inputs() in
-- etl_users.c: the 11 numeric features, null or not finite as 0, the trend
-- capped at 10, then 1/0 flags for the free and premium tiers). The
-- training day's rows are labelled churned = no day of user_daily in
-- (A - 7, A], and split into test (hash % 5 = 0) and train.
CREATE OR REPLACE TEMP MACRO num0(v) AS CASE WHEN isfinite(v::DOUBLE) THEN v::DOUBLE ELSE 0::DOUBLE END;
CREATE OR REPLACE TEMP TABLE churn_days AS
WITH r AS (
    SELECT *, false AS training FROM churn_rows(getvariable('as_of'))
    UNION ALL
    SELECT *, true AS training FROM churn_rows(getvariable('as_of') - 7) WHERE getvariable('can_train')
), h AS (
    -- vl_hash64: the length, then whole 16-byte blocks, then the tail
    SELECT *, hx_len // 16 * 16 AS p, hx_len % 16 AS m,
           list_reduce(range(hx_len // 16),
                       (h, i) -> fold_mul(xor(xor(hx_u64(hx, 16 * i::BIGINT), hash_k0()), h),
                                          xor(hx_u64(hx, 16 * i::BIGINT + 8), hash_k1())),
                       xor('0x636875726e'::UBIGINT, fold_mul(xor(hx_len::UBIGINT, hash_k0()), hash_k1()))) AS h_blocks
    FROM (SELECT *, hex(encode(user_id)) AS hx, octet_length(encode(user_id)) AS hx_len FROM r WHERE training)
), tests AS (
    SELECT user_id,
           mix64(fold_mul(
               xor(xor(CASE WHEN m >= 8 THEN hx_u64(hx, p)
                            WHEN m >= 4 THEN hx_u32(hx, p)
                            WHEN m > 0 THEN (hx_byte(hx, p) << 16) | (hx_byte(hx, p + m // 2) << 8) | hx_byte(hx, p + m - 1)
                            ELSE 0::UBIGINT END, hash_k0()), h_blocks),
               xor(CASE WHEN m >= 8 THEN hx_u64(hx, p + m - 8)
                        WHEN m >= 4 THEN hx_u32(hx, p + m - 4)
                        ELSE 0::UBIGINT END, hash_k1()))) % 5 = 0 AS test
    FROM h
)
SELECT r.* EXCLUDE (training),
       CASE WHEN training THEN r.user_id NOT IN (SELECT user_id FROM user_daily
                                                 WHERE date > getvariable('as_of') - 7 AND date <= getvariable('as_of')
                                                   AND user_id IS NOT NULL) END
           AS churned,
       CASE WHEN NOT training THEN (CASE WHEN getvariable('can_train') THEN 'score' END)
            WHEN s.test THEN 'test' ELSE 'train' END AS split,
       [num0(days_since_last), num0(views_7d), num0(views_28d), num0(watch_hours_7d), num0(watch_hours_28d),
        least(num0(watch_trend), 10), num0(rebuffering_ratio_28d), num0(vsf_28d), num0(dislikes_28d),
        num0(devices), num0(active_days_28),
        CASE WHEN subscription_tier = 'free' THEN 1 ELSE 0 END::DOUBLE,
        CASE WHEN subscription_tier = 'premium' THEN 1 ELSE 0 END::DOUBLE] AS x
FROM r LEFT JOIN tests s ON r.training AND s.user_id = r.user_id;

-- The model: a logistic regression over the inputs standardised by the
-- training rows (mean; sample standard deviation, 1 when it is 0 or there
-- is at most one row), fitted by 400 steps of gradient descent (rate 0.5)
-- on the mean log-loss plus 0.001/2 |w|^2 (not on the bias w14). The
-- arithmetic follows etl_gold_churn term for term, as C evaluates it:
--   z = w14 + w1 * (x1 - mean1) / sd1 + ... + w13 * (x13 - mean13) / sd13
-- (left to right, each term (w * (x - mean)) / sd), p = 1 / (1 + exp(-z)),
-- grad_k = sum of (p - y) * (x_k - mean_k) / sd_k, grad14 = sum of (p - y),
-- w_k -= 0.5 * (grad_k / n + 0.001 * w_k). Sums over rows run in another
-- order than C's, so scores agree to about 1e-14, not to the last bit.
CREATE OR REPLACE TEMP MACRO churn_z(w, x, mean, sd) AS
    w[14] + w[1] * (x[1] - mean[1]) / sd[1] + w[2] * (x[2] - mean[2]) / sd[2] + w[3] * (x[3] - mean[3]) / sd[3]
          + w[4] * (x[4] - mean[4]) / sd[4] + w[5] * (x[5] - mean[5]) / sd[5] + w[6] * (x[6] - mean[6]) / sd[6]
          + w[7] * (x[7] - mean[7]) / sd[7] + w[8] * (x[8] - mean[8]) / sd[8] + w[9] * (x[9] - mean[9]) / sd[9]
          + w[10] * (x[10] - mean[10]) / sd[10] + w[11] * (x[11] - mean[11]) / sd[11]
          + w[12] * (x[12] - mean[12]) / sd[12] + w[13] * (x[13] - mean[13]) / sd[13];
CREATE OR REPLACE TEMP TABLE churn_train AS
SELECT x, churned::INTEGER::DOUBLE AS y FROM churn_days WHERE split = 'train';
CREATE OR REPLACE TEMP TABLE churn_scale AS
WITH n AS (
    SELECT count(*) AS n FROM churn_train
), v AS (
    SELECT k, x[k] AS v FROM churn_train, range(1, 14) r(k)
), m AS (
    SELECT k, sum(v) / count(*) AS mean FROM v GROUP BY k
), s AS (
    SELECT k, sum((v - mean) * (v - mean)) AS ss FROM v JOIN m USING (k) GROUP BY k
)
SELECT n,
       list(coalesce(m.mean, 0) ORDER BY k) AS mean,
       list(CASE WHEN n > 1 AND s.ss > 0 THEN sqrt(s.ss / (n - 1)) ELSE 1 END ORDER BY k) AS sd
FROM n, range(1, 14) r(k) LEFT JOIN m USING (k) LEFT JOIN s USING (k)
GROUP BY n;

-- The descent runs on plain columns (lists cost 2-4 times as much per
-- row): the training rows centred, d_k = x_k - mean_k (the doubles C
-- computes in each step), with the scale s_k = sd_k, and the weights
-- w1 .. w14 (w14 the bias) as the recursive state, one row per step.
CREATE OR REPLACE TEMP TABLE churn_centred AS
SELECT y,
       x[1] - mean[1] AS d1, x[2] - mean[2] AS d2, x[3] - mean[3] AS d3, x[4] - mean[4] AS d4,
       x[5] - mean[5] AS d5, x[6] - mean[6] AS d6, x[7] - mean[7] AS d7, x[8] - mean[8] AS d8,
       x[9] - mean[9] AS d9, x[10] - mean[10] AS d10, x[11] - mean[11] AS d11, x[12] - mean[12] AS d12,
       x[13] - mean[13] AS d13,
       n, sd[1] AS s1, sd[2] AS s2, sd[3] AS s3, sd[4] AS s4, sd[5] AS s5, sd[6] AS s6, sd[7] AS s7,
       sd[8] AS s8, sd[9] AS s9, sd[10] AS s10, sd[11] AS s11, sd[12] AS s12, sd[13] AS s13
FROM churn_train, churn_scale;

CREATE OR REPLACE TEMP TABLE churn_weights AS
WITH RECURSIVE gd(it, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14) AS (
    SELECT 0, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE,
           0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE, 0::DOUBLE
    UNION ALL
    -- one step (none without training rows: the weights stay 0)
    SELECT it + 1,
           w1 - 0.5 * (g1 / n + 1e-3 * w1), w2 - 0.5 * (g2 / n + 1e-3 * w2), w3 - 0.5 * (g3 / n + 1e-3 * w3),
           w4 - 0.5 * (g4 / n + 1e-3 * w4), w5 - 0.5 * (g5 / n + 1e-3 * w5), w6 - 0.5 * (g6 / n + 1e-3 * w6),
           w7 - 0.5 * (g7 / n + 1e-3 * w7), w8 - 0.5 * (g8 / n + 1e-3 * w8), w9 - 0.5 * (g9 / n + 1e-3 * w9),
           w10 - 0.5 * (g10 / n + 1e-3 * w10), w11 - 0.5 * (g11 / n + 1e-3 * w11),
           w12 - 0.5 * (g12 / n + 1e-3 * w12), w13 - 0.5 * (g13 / n + 1e-3 * w13),
           w14 - 0.5 * (g14 / n)
    FROM (
        -- the gradient: the sums over the training rows of (p - y) times their inputs
        SELECT it, any_value(n) AS n,
               any_value(w1) AS w1, any_value(w2) AS w2, any_value(w3) AS w3, any_value(w4) AS w4,
               any_value(w5) AS w5, any_value(w6) AS w6, any_value(w7) AS w7, any_value(w8) AS w8,
               any_value(w9) AS w9, any_value(w10) AS w10, any_value(w11) AS w11, any_value(w12) AS w12,
               any_value(w13) AS w13, any_value(w14) AS w14,
               sum(g * d1 / s1) AS g1, sum(g * d2 / s2) AS g2, sum(g * d3 / s3) AS g3, sum(g * d4 / s4) AS g4,
               sum(g * d5 / s5) AS g5, sum(g * d6 / s6) AS g6, sum(g * d7 / s7) AS g7, sum(g * d8 / s8) AS g8,
               sum(g * d9 / s9) AS g9, sum(g * d10 / s10) AS g10, sum(g * d11 / s11) AS g11,
               sum(g * d12 / s12) AS g12, sum(g * d13 / s13) AS g13, sum(g) AS g14
        FROM (SELECT *,
                     1 / (1 + exp(-(w14 + w1 * d1 / s1 + w2 * d2 / s2 + w3 * d3 / s3 + w4 * d4 / s4 + w5 * d5 / s5
                                    + w6 * d6 / s6 + w7 * d7 / s7 + w8 * d8 / s8 + w9 * d9 / s9 + w10 * d10 / s10
                                    + w11 * d11 / s11 + w12 * d12 / s12 + w13 * d13 / s13))) - y AS g
              FROM gd, churn_centred
              WHERE it < 400)
        GROUP BY it)
)
SELECT [w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14] AS w FROM gd ORDER BY it DESC LIMIT 1;

-- Partition A (split 'score', churned null), and A - 7 when the model was
-- trained; without a model (less than 8 days), split and churn_score are null.
CREATE OR REPLACE TABLE churn_features AS
SELECT d.* EXCLUDE (x),
       CASE WHEN getvariable('can_train') THEN 1 / (1 + exp(-churn_z(w.w, d.x, c.mean, c.sd))) END AS churn_score
FROM churn_days d, churn_weights w, churn_scale c;

-- The model's figures as in vidlake's log line: training rows, churned
-- users of the training day, and the AUC of the test split (ties: half).
CREATE OR REPLACE TEMP TABLE churn_model AS
WITH t AS (
    SELECT churn_score AS s, churned,
           (rank() OVER (ORDER BY churn_score) * 2 + count(*) OVER (PARTITION BY churn_score) - 1) / 2 AS r
    FROM churn_features WHERE split = 'test'
), a AS (
    SELECT count(*) FILTER (WHERE churned)::DOUBLE AS pos, count(*) FILTER (WHERE NOT churned)::DOUBLE AS neg,
           sum(r) FILTER (WHERE churned) AS rank_sum
    FROM t
)
SELECT getvariable('can_train') AS trained,
       (SELECT count(*) FROM churn_train) AS train_rows,
       (SELECT count(*) FROM churn_features WHERE churned) AS churned,
       CASE WHEN pos > 0 AND neg > 0 THEN (rank_sum - pos * (pos + 1) / 2) / (pos * neg) END AS test_auc
FROM a;
