#!/usr/bin/env node
// An HTTP reverse proxy that injects the faults of a flaky object store, for
// the S3 tests: a client points AWS_ENDPOINT_URL at it, it forwards to the
// real gateway. Node alone, no npm package.
//
//   node tests/integration/faultproxy.mjs --target http://127.0.0.1:PORT
//        [--port-file F] [--stats F] [--control F] [--log F]
//        [--slowdown P] [--delay P] [--delay-ms MS] [--drop P] [--drop-methods PUT,...]
//        [--seed N]
//
// It listens on 127.0.0.1 on a port of the kernel's choice, prints
// "faultproxy: listening on PORT" and writes PORT to --port-file. Each
// request is read whole, then (in this order, one fault at most):
//   - slowdown: with probability P it is answered 503 with S3's
//     <Error><Code>SlowDown</Code>... body, without reaching the target;
//   - delay: with probability P it waits --delay-ms before being forwarded
//     (to outlast the client's timeout); if the client hung up meanwhile it
//     is not forwarded (counted as delayed_abandoned);
//   - drop: with probability P (only for --drop-methods, default PUT) it is
//     forwarded, the target's whole answer is read, and the client's
//     connection is destroyed instead of answering: the request took effect
//     but the client sees a reset (for a conditional PUT: the case where its
//     retry meets its own earlier success);
//   - otherwise it is forwarded (method, path, headers with Host unchanged,
//     since it is signed, and body) and the answer streamed back.
// Rules fire before the probabilities: each is {"method", "path" (a regular
// expression matched against the path and query), "action" (slowdown,
// delay, drop or reset: the connection destroyed without forwarding),
// "count" (how many matching requests it takes, default unlimited),
// "skip" (matching requests let through first, default 0)}.
//
// --control F is a JSON file re-read at every request (a test changes the
// faults mid-run by rewriting it; write a temporary file and rename it):
//   {"slowdown": 0.1, "delay": 0.05, "delay_ms": 1500, "drop": 0.05,
//    "drop_methods": ["PUT"], "rules": [...]}
// Its keys override the command line's; a missing or unreadable file means
// the command line's settings.
//
// Counts (requests, forwarded, slowdown, delayed, delayed_abandoned,
// dropped, reset, upstream_errors, and per method) are written to --stats
// as JSON after every request and printed to stderr on SIGTERM/SIGINT.
import http from 'node:http';
import { readFileSync, writeFileSync, renameSync, appendFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = {};
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
  if (i + 1 >= args.length) usage(`${a} needs a value`);
  opt[a.slice(2)] = args[++i];
}
function usage(why) {
  process.stderr.write(`faultproxy: ${why}\n` +
    'usage: faultproxy.mjs --target URL [--port-file F] [--stats F] [--control F] [--log F]\n' +
    '         [--slowdown P] [--delay P] [--delay-ms MS] [--drop P] [--drop-methods M,...] [--seed N]\n');
  process.exit(2);
}
if (!opt.target) usage('--target is required');
const target = new URL(opt.target);
const base = {
  slowdown: Number(opt.slowdown ?? 0),
  delay: Number(opt.delay ?? 0),
  delay_ms: Number(opt['delay-ms'] ?? 2000),
  drop: Number(opt.drop ?? 0),
  drop_methods: (opt['drop-methods'] ?? 'PUT').split(',').filter(Boolean),
  rules: [],
};

// a small seeded generator (mulberry32), so a run can be repeated
let seed = Number(opt.seed ?? (Date.now() & 0x7fffffff)) >>> 0;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function settings() {
  if (!opt.control) return base;
  try {
    return { ...base, ...JSON.parse(readFileSync(opt.control, 'utf8')) };
  } catch {
    return base;
  }
}

const stats = {
  requests: 0, forwarded: 0, slowdown: 0, delayed: 0, delayed_abandoned: 0, dropped: 0, reset: 0,
  upstream_errors: 0, by_method: {}, faults_by_method: {},
};
const ruleState = new Map(); // JSON of a rule -> {seen, fired}
let seq = 0;

function count(kind, method) {
  stats[kind]++;
  const m = (stats.faults_by_method[method] ??= {});
  m[kind] = (m[kind] ?? 0) + 1;
}
function saveStats() {
  if (!opt.stats) return;
  const tmp = `${opt.stats}.tmp`;
  writeFileSync(tmp, JSON.stringify(stats) + '\n');
  renameSync(tmp, opt.stats);
}
function log(line) {
  if (opt.log) appendFileSync(opt.log, `${new Date().toISOString()} ${line}\n`);
}

// the fault for this request: a rule's, else one drawn by the probabilities
function choose(s, method, path) {
  for (const r of s.rules ?? []) {
    if (r.method && r.method !== method) continue;
    if (r.path && !new RegExp(r.path).test(path)) continue;
    const k = JSON.stringify(r);
    const st = ruleState.get(k) ?? { seen: 0, fired: 0 };
    ruleState.set(k, st);
    st.seen++;
    if (st.seen <= (r.skip ?? 0)) continue;
    if (r.count !== undefined && st.fired >= r.count) continue;
    st.fired++;
    return r.action;
  }
  if (random() < s.slowdown) return 'slowdown';
  if (random() < s.delay) return 'delay';
  if (s.drop_methods.includes(method) && random() < s.drop) return 'drop';
  return 'forward';
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function slowDown(res, id) {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
    '<Message>Please reduce your request rate.</Message>' +
    `<RequestId>faultproxy-${id}</RequestId></Error>\n`;
  res.writeHead(503, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': `faultproxy-${id}` });
  res.end(body);
}

// forwards the request; drop: read the whole answer, then reset the client
function forward(req, res, body, drop, done) {
  const up = http.request({
    host: target.hostname, port: target.port || 80, method: req.method, path: req.url,
    headers: req.headers, agent,
  }, (ur) => {
    if (drop) {
      ur.on('data', () => {});
      ur.on('end', () => { req.socket.destroy(); done(ur.statusCode); });
      return;
    }
    res.writeHead(ur.statusCode, ur.statusMessage, ur.rawHeaders);
    ur.pipe(res);
    ur.on('end', () => done(ur.statusCode));
  });
  up.on('error', (e) => {
    stats.upstream_errors++;
    log(`upstream error ${req.method} ${req.url}: ${e.message}`);
    // the target is down: the client sees what it would see without us
    req.socket.destroy();
    done('error');
  });
  up.end(body);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = ++seq;
    const body = Buffer.concat(chunks);
    const s = settings();
    const m = req.method;
    stats.requests++;
    stats.by_method[m] = (stats.by_method[m] ?? 0) + 1;
    const what = choose(s, m, req.url);
    const finish = (st) => { log(`${id} ${m} ${req.url} ${what} -> ${st}`); saveStats(); };
    switch (what) {
      case 'slowdown':
        count('slowdown', m);
        slowDown(res, id);
        finish(503);
        return;
      case 'reset':
        count('reset', m);
        req.socket.destroy();
        finish('reset');
        return;
      case 'delay': {
        count('delayed', m);
        let gone = false;
        res.on('close', () => { if (!res.writableFinished) gone = true; });
        setTimeout(() => {
          if (gone || req.socket.destroyed) {
            count('delayed_abandoned', m);
            finish('abandoned');
            return;
          }
          stats.forwarded++;
          forward(req, res, body, false, finish);
        }, s.delay_ms ?? 2000);
        return;
      }
      case 'drop':
        count('dropped', m);
        stats.forwarded++;
        forward(req, res, body, true, finish);
        return;
      default:
        stats.forwarded++;
        forward(req, res, body, false, finish);
    }
  });
});
server.keepAliveTimeout = 30000;
server.headersTimeout = 0;
server.requestTimeout = 0;

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  if (opt['port-file']) {
    writeFileSync(`${opt['port-file']}.tmp`, `${port}\n`);
    renameSync(`${opt['port-file']}.tmp`, opt['port-file']);
  }
  saveStats();
  process.stderr.write(`faultproxy: listening on ${port}, forwarding to ${target.origin}\n`);
});

function stop() {
  saveStats();
  process.stderr.write(`faultproxy: ${JSON.stringify(stats)}\n`);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
