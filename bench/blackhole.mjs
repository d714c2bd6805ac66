// A blackhole OTLP/HTTP receiver, run as its own process so its work never lands on the
// measured thread. Accepts protobuf and JSON (optionally gzip), answers 200, and counts per
// run: requests, bytes, metric data points, spans, log records, and the totals of counter
// (Sum) metrics so the harness can check that every event is accounted for.
//
//   node bench/blackhole.mjs            prints {"ready": PORT} once listening on 127.0.0.1
//
// Runs are keyed by the path before /v1/<signal> (the harness uses endpoint .../r/<run>).
// GET /__stats/<run> returns that run's counts as JSON.
import http from "node:http";
import zlib from "node:zlib";

const runs = new Map();

function statsFor(key) {
  let s = runs.get(key);
  if (!s) {
    s = { requests: 0, bytes: 0, contentTypes: {}, points: 0, spans: 0, logRecords: 0, counters: {}, errors: 0, lastError: undefined };
    runs.set(key, s);
  }
  return s;
}

// ---- protobuf: just enough wire format to walk OTLP requests --------------------------------

function varint(buf, pos) {
  let result = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if (b < 0x80) return [result, pos];
    mul *= 128;
  }
}

/** Calls fn(fieldNo, wireType, valueStart, valueEnd, varintValue) for each field in [start,end). */
function eachField(buf, start, end, fn) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = varint(buf, pos);
    const no = Math.floor(key / 8);
    const wt = key & 7;
    if (wt === 0) {
      let v;
      [v, pos] = varint(buf, pos);
      fn(no, wt, pos, pos, v);
    } else if (wt === 1) {
      fn(no, wt, pos, pos + 8, 0);
      pos += 8;
    } else if (wt === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      fn(no, wt, pos, pos + len, 0);
      pos += len;
    } else if (wt === 5) {
      fn(no, wt, pos, pos + 4, 0);
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wt}`);
    }
  }
}

/** Number of occurrences of a length-delimited field. */
function countField(buf, start, end, wanted) {
  let n = 0;
  eachField(buf, start, end, (no, wt) => {
    if (no === wanted && wt === 2) n += 1;
  });
  return n;
}

/** Runs fn over each length-delimited occurrence of field `wanted`. */
function eachMessage(buf, start, end, wanted, fn) {
  eachField(buf, start, end, (no, wt, s, e) => {
    if (no === wanted && wt === 2) fn(s, e);
  });
}

// Metric: name=1, gauge=5, sum=7, histogram=9, exponential_histogram=10, summary=11; each data
// kind holds data_points=1; Sum has aggregation_temporality=2. NumberDataPoint: as_double=4
// (fixed64), as_int=6 (sfixed64).
function protoMetrics(buf, acc) {
  eachMessage(buf, 0, buf.length, 1, (rs, re) =>
    eachMessage(buf, rs, re, 2, (ss, se) =>
      eachMessage(buf, ss, se, 2, (ms, me) => {
        let name = "";
        eachField(buf, ms, me, (no, wt, s, e) => {
          if (no === 1 && wt === 2) name = buf.toString("utf8", s, e);
          else if ((no === 5 || no === 9 || no === 10 || no === 11) && wt === 2) acc.points(countField(buf, s, e, 1));
          else if (no === 7 && wt === 2) {
            let temporality = 0;
            let total = 0;
            let points = 0;
            eachField(buf, s, e, (dno, dwt, ds, de, v) => {
              if (dno === 2 && dwt === 0) temporality = v;
              else if (dno === 1 && dwt === 2) {
                points += 1;
                eachField(buf, ds, de, (pno, pwt, ps) => {
                  if (pno === 4 && pwt === 1) total += buf.readDoubleLE(ps);
                  else if (pno === 6 && pwt === 1) total += Number(buf.readBigInt64LE(ps));
                });
              }
            });
            acc.points(points);
            acc.sum(name, temporality, total);
          }
        });
      }),
    ),
  );
}

function protoSpans(buf) {
  let n = 0;
  eachMessage(buf, 0, buf.length, 1, (rs, re) => eachMessage(buf, rs, re, 2, (ss, se) => (n += countField(buf, ss, se, 2))));
  return n;
}

// ---- JSON (OTLP/HTTP JSON encoding) ---------------------------------------------------------

const TEMPORALITY = { AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 };

function jsonMetrics(body, acc) {
  for (const rm of body.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        for (const kind of ["gauge", "histogram", "exponentialHistogram", "summary"]) {
          if (m[kind]) acc.points(m[kind].dataPoints?.length ?? 0);
        }
        if (m.sum) {
          const dps = m.sum.dataPoints ?? [];
          let total = 0;
          for (const p of dps) total += Number(p.asDouble ?? p.asInt ?? 0);
          const t = m.sum.aggregationTemporality;
          acc.points(dps.length);
          acc.sum(m.name, typeof t === "number" ? t : TEMPORALITY[t] ?? 0, total);
        }
      }
    }
  }
}

function jsonSpans(body) {
  let n = 0;
  for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

function jsonLogs(body) {
  let n = 0;
  for (const rl of body.resourceLogs ?? []) for (const sl of rl.scopeLogs ?? []) n += sl.logRecords?.length ?? 0;
  return n;
}

function protoLogs(buf) {
  let n = 0;
  eachMessage(buf, 0, buf.length, 1, (rs, re) => eachMessage(buf, rs, re, 2, (ss, se) => (n += countField(buf, ss, se, 2))));
  return n;
}

// ---- HTTP -----------------------------------------------------------------------------------

function account(s, signal, body, isJson) {
  if (signal === "metrics") {
    const seen = {};
    const acc = {
      points: (n) => (s.points += n),
      sum: (name, temporality, total) => {
        seen[name] = { temporality, total: (seen[name]?.total ?? 0) + total };
      },
    };
    if (isJson) jsonMetrics(JSON.parse(body.toString("utf8")), acc);
    else protoMetrics(body, acc);
    for (const [name, { temporality, total }] of Object.entries(seen)) {
      const c = (s.counters[name] ??= { temporality, last: 0, accumulated: 0 });
      c.temporality = temporality;
      c.last = total;
      c.accumulated += total;
    }
  } else if (signal === "traces") {
    s.spans += isJson ? jsonSpans(JSON.parse(body.toString("utf8"))) : protoSpans(body);
  } else if (signal === "logs") {
    s.logRecords += isJson ? jsonLogs(JSON.parse(body.toString("utf8"))) : protoLogs(body);
  }
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url.startsWith("/__stats/")) {
    const key = decodeURIComponent(req.url.slice("/__stats/".length));
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(runs.get(key) ?? statsFor(key)));
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const m = /^(.*)\/v1\/(metrics|traces|logs)\/?$/.exec(req.url.split("?")[0]);
    const s = statsFor(m ? m[1] : req.url);
    const ctype = String(req.headers["content-type"] ?? "");
    const isJson = ctype.includes("json");
    let body = Buffer.concat(chunks);
    s.requests += 1;
    s.bytes += body.length;
    s.contentTypes[ctype] = (s.contentTypes[ctype] ?? 0) + 1;
    try {
      if (req.headers["content-encoding"] === "gzip") body = zlib.gunzipSync(body);
      if (m) account(s, m[2], body, isJson);
    } catch (err) {
      s.errors += 1;
      s.lastError = String(err?.message ?? err);
    }
    // An empty Export*ServiceResponse: zero bytes in protobuf, {} in JSON.
    if (isJson) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    } else {
      res.writeHead(200, { "content-type": "application/x-protobuf", "content-length": "0" });
      res.end();
    }
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ ready: server.address().port }) + "\n");
});
// The harness ends us by closing stdin (or killing us); never outlive it.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
