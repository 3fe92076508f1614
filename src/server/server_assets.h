/* vidlake - Apache-2.0 */
/*
 * server_assets: the dashboard's files, built into the binary (private to
 * src/server). The page must work with no network at all, so nothing is
 * loaded from a CDN: every byte it needs is here.
 *
 * The table is generated at build time by scripts/embed-assets.sh into
 * build/<mode>/gen/server_assets_data.c from:
 *   web/index.html                       as "/" and "/index.html"
 *   web/<name>                           as "/assets/<name>"
 *   node_modules/uplot/dist/uPlot.iife.min.js, uPlot.min.css
 *                                        as "/assets/uPlot.iife.min.js", "/assets/uPlot.min.css"
 *   node_modules/uplot/LICENSE           as "/assets/uPlot.LICENSE.txt"
 * uPlot (https://github.com/leeoniya/uPlot, the npm package `uplot`, version
 * pinned in package-lock.json) is MIT-licensed, (c) Leon Sorokin; its
 * licence text ships with it, as the MIT licence asks. Without
 * node_modules/uplot the build stops and says to run `make deps`.
 *
 * Content types are chosen by extension: .html text/html, .js/.mjs
 * text/javascript, .css text/css (all with charset=utf-8), .svg
 * image/svg+xml, .txt text/plain, .png image/png, .ico image/x-icon,
 * .json application/json; anything else application/octet-stream.
 * Caching headers are the route's business, not this table's.
 */
#ifndef VL_SERVER_ASSETS_H
#define VL_SERVER_ASSETS_H

#include <stddef.h>

typedef struct vl_asset {
    const char *path;         /* the URL path, e.g. "/assets/app.mjs" */
    const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
    const unsigned char *data;
    size_t len;
} vl_asset;

/**
 * @brief The built-in file served at a URL path.
 * @param path the request's path; a query string ("?v=2") is ignored. "/"
 *        and "/index.html" are the dashboard page.
 * @return the asset, or NULL when there is none (a 404). Static data: never
 *         freed, safe from any thread.
 */
const vl_asset *vl_server_asset(const char *path);

/** @brief The i-th asset (0-based), NULL past the last: for listings and tests. */
const vl_asset *vl_server_asset_at(size_t i);

#endif /* VL_SERVER_ASSETS_H */
