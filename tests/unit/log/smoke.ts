// Runtime smoke test of src/log outside bun:test; run under both runtimes:
//   node_modules/.bin/deno run -A tests/unit/log/smoke.ts
//   node_modules/.bin/bun tests/unit/log/smoke.ts
// Prints "log smoke ok" and exits 0, or throws.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileLogFormat } from "../../../src/log/format.ts";
import { createHttpLogRecord, formatHttpLog, HTTPLOG_FORMAT } from "../../../src/log/http-log.ts";
import { formatHttpJson } from "../../../src/log/json.ts";
import { createLogger } from "../../../src/log/sink.ts";
import { hostRuntime } from "../../support/host-runtime.ts";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error("smoke: " + what);
}

const r = createHttpLogRecord();
Object.assign(r, {
  clientAddress: "127.0.0.1",
  clientPort: 5555,
  frontend: "fe",
  backend: "be",
  server: "s1",
  acceptTime: Date.UTC(2026, 10, 25, 8, 20, 0, 100),
  requestTime: Date.UTC(2026, 10, 25, 8, 20, 0, 123),
  Th: 0,
  Ti: 23,
  TR: 1,
  Tw: 0,
  Tc: 2,
  Tr: 3,
  Ta: 10,
  Tt: 33,
  status: 200,
  bytesOut: 512,
  bytesIn: 80,
  termination: "----",
  actconn: 1,
  feconn: 1,
  beconn: 1,
  srvConn: 1,
  method: "GET",
  uri: "/x?y=1",
  path: "/x",
  httpVersion: "HTTP/1.1",
  requestLine: "GET /x?y=1 HTTP/1.1",
});
const expected =
  '127.0.0.1:5555 [25/Nov/2026:08:20:00.123] fe be/s1 1/0/2/3/10 200 512 - - ---- 1/1/1/1/0 0/0 "GET /x?y=1 HTTP/1.1"';
check(formatHttpLog(r) === expected, "httplog line: " + formatHttpLog(r));
check(compileLogFormat(HTTPLOG_FORMAT)(r) === expected, "compiled httplog");
check(compileLogFormat("%H %pid")(r).length > 2, "hostname and pid");
check(JSON.parse(formatHttpJson(r)).accept_date === "2026-11-25T08:20:00.100Z", "json date");

const dir = mkdtempSync(join(tmpdir(), "sluice-smoke-"));
try {
  const path = join(dir, "access.log");
  const log = createLogger([{ kind: "file", path, format: "raw" }, {
    kind: "stdout",
    format: "json",
  }], { timers: await hostRuntime() });
  const n = 20_000;
  const fmt = compileLogFormat("%rt %{+Q}r");
  for (let i = 0; i < n; i++) {
    r.streamId = i;
    log.http(r, fmt);
    if (i % 5000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await log.flush();
  log.event("smoke: flushed");
  await log.close();
  const lines = readFileSync(path, "utf8").split("\n");
  check(lines.length === n + 1 && lines[n] === "", `file has ${lines.length - 1} lines`);
  for (let i = 0; i < n; i++) {
    check(lines[i] === `${i} "GET /x?y=1 HTTP/1.1"`, `line ${i}: ${lines[i]}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.error("log smoke ok");
