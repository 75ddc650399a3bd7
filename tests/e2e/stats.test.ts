// The stats listener of a real sluice (Bun, Deno, the binary): known traffic
// through a real backend (some answered 404 by it, some denied by a rule),
// then the exact counters in `;csv` (parsed by column name, its header
// compared with the real haproxy 2.6's), in `;json`, in the Prometheus text
// (parsed by a real parser), Basic authentication, and the page rendered by a
// headless Chromium (its DOM's numbers, a screenshot that is not blank).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { HAPROXY_COLUMNS } from "../../src/stats/columns.ts";
import { TestPki } from "../support/certs.ts";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";

const AUTH = "Basic " + Buffer.from("admin:secret").toString("base64");
const OK = 5;
const MISSING = 3;
const DENIED = 2;

/** `show stat` CSV as objects by column name. */
function parseCsv(text: string): { header: string[]; rows: Record<string, string>[] } {
  const [head, ...lines] = text.trimEnd().split("\n");
  expect(head!.startsWith("# ")).toBe(true);
  const header = head!.slice(2).replace(/,$/, "").split(",");
  const rows = lines.map((line) => {
    const values = line.replace(/,$/, "").split(",");
    expect(values).toHaveLength(header.length);
    return Object.fromEntries(header.map((name, i) => [name, values[i]!]));
  });
  return { header, rows };
}

/** The real haproxy 2.6's `show stat` header, from its stats socket. */
async function haproxyHeader(): Promise<string[]> {
  const dir = tempDir();
  const socket = join(dir, "haproxy.sock");
  const cfg = join(dir, "haproxy.cfg");
  const port = await freePort();
  writeFileSync(cfg, `global\n    stats socket ${socket}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\nfrontend fe\n    bind 127.0.0.1:${port}\n`);
  const proc = Bun.spawn(["haproxy", "-f", cfg, "-db"], { stdout: "ignore", stderr: "ignore" });
  try {
    for (let i = 0; i < 250; i++) {
      if (existsSync(socket)) {
        const out = spawnSync("socat", ["-", `UNIX-CONNECT:${socket}`], { input: "show stat\n", encoding: "utf8" });
        if (out.stdout.startsWith("# ")) return out.stdout.split("\n")[0]!.slice(2).replace(/,$/, "").split(",");
      }
      await sleep(20);
    }
    throw new Error("haproxy's stats socket gave no `show stat`");
  } finally {
    proc.kill("SIGKILL");
  }
}

/** A real HTTP backend: /missing is 404, anything else 200 with a short body. */
let backend: http.Server;
let backendPort = 0;

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    if (req.url === "/missing") {
      res.writeHead(404, { "content-length": "0" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
    res.end("ok");
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", () => r()));
  backendPort = (backend.address() as AddressInfo).port;
});
afterAll(() => backend.close());

for (const target of selectedTargets()) {
  describe(`stats listener (${target.name})`, () => {
    let run: Run;
    let fePort = 0;
    let statsPort = 0;
    let tlsPort = 0;
    const statsUrl = (suffix = "") => `http://127.0.0.1:${statsPort}/stats${suffix}`;

    beforeAll(async () => {
      fePort = await freePort();
      statsPort = await freePort();
      tlsPort = await freePort();
      const pki = new TestPki();
      const leaf = pki.leaf("a", { names: ["a.test"] });
      run = await startSluice(target, `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${fePort}
    option httplog
    http-request deny if { path_beg /admin }
    default_backend be
backend be
    server s1 127.0.0.1:${backendPort}
frontend tls
    bind 127.0.0.1:${tlsPort} ssl crt ${leaf.pem} alpn h2,http/1.1
    default_backend be2
backend be2
    server s2 127.0.0.1:${backendPort}
listen stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
    stats refresh 5s
    stats auth admin:secret
    stats realm sluice-ops
    stats show-legends
    http-request use-service prometheus-exporter if { path /metrics }
`);
      expect(run.errLines).toContain(`stats 'stats' listening on 127.0.0.1:${statsPort}`);
      const send = async (path: string, status: number) => {
        // A connection per request: every one is a session of its own.
        const res = await fetch(`http://127.0.0.1:${fePort}${path}`, { headers: { connection: "close" } });
        await res.arrayBuffer();
        expect(res.status).toBe(status);
      };
      for (let i = 0; i < OK; i++) await send(`/ok/${i}`, 200);
      for (let i = 0; i < MISSING; i++) await send("/missing", 404);
      for (let i = 0; i < DENIED; i++) await send("/admin/x", 403);
      // Over TLS, HTTP/2 by ALPN: one connection, one handshake, two streams.
      // Not spawnSync: the backend lives in this process's event loop.
      const curl = Bun.spawn([
        "curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_version} %{http_code}\n", "--http2", "--cacert", pki.caFile,
        "--resolve", `a.test:${tlsPort}:127.0.0.1`, `https://a.test:${tlsPort}/h2/1`, `https://a.test:${tlsPort}/h2/2`,
      ], { stdout: "pipe", stderr: "pipe" });
      expect(await new Response(curl.stdout).text()).toBe("2 200\n2 200\n");
      expect(await curl.exited).toBe(0);
      // Cleartext bytes to the TLS port: a failed handshake.
      const plain = await fetch(`http://127.0.0.1:${tlsPort}/`).catch(() => undefined);
      expect(plain?.status).toBeUndefined();
      // The log line (and the counters) come when a stream ends: wait for the last one.
      // (HTTP/2 requests are logged with their absolute URI, "GET https://a.test:PORT/h2/1 HTTP/2.0".)
      await waitFor(() => run.errLines.filter((l) => /"GET (\/|https:\/\/)/.test(l)).length >= OK + MISSING + DENIED + 2, 5000, "every request's log line");
      await waitFor(() => run.errLines.some((l) => l.includes("SSL handshake failure")), 5000, "the failed handshake's log line");
    });
    afterAll(async () => {
      expect(await stopSluice(run)).toBe(0);
    });

    test("CSV: HAProxy 2.6's header, exact counters by column name", async () => {
      const res = await fetch(statsUrl(";csv"), { headers: { authorization: AUTH } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/plain");
      const { header, rows } = parseCsv(await res.text());
      expect(header.slice(0, HAPROXY_COLUMNS)).toEqual(await haproxyHeader());
      expect(header.slice(HAPROXY_COLUMNS).every((name) => name.startsWith("sl_"))).toBe(true);
      const find = (px: string, sv: string) => rows.find((r) => r.pxname === px && r.svname === sv)!;
      const total = OK + MISSING + DENIED;
      expect(find("fe", "FRONTEND")).toMatchObject({
        status: "OPEN", req_tot: String(total), stot: String(total), conn_tot: String(total), scur: "0",
        hrsp_2xx: String(OK), hrsp_4xx: String(MISSING + DENIED), hrsp_5xx: "0", dreq: String(DENIED), ereq: "0", type: "0", mode: "http",
      });
      expect(find("be", "s1")).toMatchObject({
        status: "no check", req_tot: String(OK + MISSING), stot: String(OK + MISSING), hrsp_2xx: String(OK), hrsp_4xx: String(MISSING),
        econ: "0", eresp: "0", addr: `127.0.0.1:${backendPort}`, type: "2", sl_ownership_violations: "0",
      });
      expect(find("be", "BACKEND")).toMatchObject({ status: "UP", req_tot: String(OK + MISSING), hrsp_2xx: String(OK), hrsp_4xx: String(MISSING), type: "1" });
      expect(find("tls", "FRONTEND")).toMatchObject({
        req_tot: "2", hrsp_2xx: "2", ssl_sess: "1", ssl_failed_handshake: "1", h2_total_connections: "1", sl_h2_total_streams: "2",
        h1_total_connections: "0",
      });
      expect(find("be2", "s2")).toMatchObject({ req_tot: "2", hrsp_2xx: "2" });
      // The stats listener serves; it is not a proxy of the traffic.
      expect(rows.some((r) => r.pxname === "stats")).toBe(false);
    });

    test("JSON: HAProxy's typed fields", async () => {
      const res = await fetch(statsUrl(";json"), { headers: { authorization: AUTH } });
      expect(res.status).toBe(200);
      const json = (await res.json()) as { objType: string; field: { name: string }; value: { type: string; value: string | number } }[][];
      const fe = json.find((r) => r.some((f) => f.field.name === "svname" && f.value.value === "FRONTEND"))!;
      const get = (name: string) => fe.find((f) => f.field.name === name)?.value;
      expect(get("pxname")).toEqual({ type: "str", value: "fe" });
      expect(get("req_tot")).toEqual({ type: "u64", value: OK + MISSING + DENIED });
      expect(get("dreq")).toEqual({ type: "u64", value: DENIED });
      expect(fe[0]!.objType).toBe("Frontend");
    });

    test("Prometheus at /metrics, parsed by a real parser, without authentication", async () => {
      const res = await fetch(`http://127.0.0.1:${statsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
      const text = await res.text();
      const families = parsePrometheusTextFormat(text);
      const value = (name: string, labels: Record<string, string>) =>
        families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;
      expect(value("sluice_frontend_http_requests_total", { proxy: "fe" })).toBe(String(OK + MISSING + DENIED));
      expect(value("sluice_frontend_requests_denied_total", { proxy: "fe" })).toBe(String(DENIED));
      expect(value("sluice_server_http_responses_total", { proxy: "be", server: "s1", code: "4xx" })).toBe(String(MISSING));
      expect(value("sluice_backend_http_responses_total", { proxy: "be", code: "2xx" })).toBe(String(OK));
      expect(value("sluice_server_status", { proxy: "be", server: "s1", state: "NO_CHECK" })).toBe("1");
      expect(value("sluice_process_requests_total", {})).toBe(String(OK + MISSING + DENIED + 2));
      expect(value("sluice_frontend_ssl_handshakes_total", { proxy: "tls" })).toBe("1");
      expect(value("sluice_frontend_h2_streams_total", { proxy: "tls" })).toBe("2");
      const histogram = families.find((f) => f.name === "sluice_backend_http_request_duration_seconds")!;
      expect(histogram.type).toBe("HISTOGRAM");
      // The parser folds a histogram's labelled series into one: each backend's count is read from the text.
      expect(text).toContain(`sluice_backend_http_request_duration_seconds_bucket{proxy="be",le="+Inf"} ${OK + MISSING}\n`);
      expect(text).toContain(`sluice_backend_http_request_duration_seconds_count{proxy="be2"} 2\n`);
    });

    test("stats auth: 401 with the realm without or with wrong credentials, 200 with them; other paths 503", async () => {
      const none = await fetch(statsUrl());
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toBe('Basic realm="sluice-ops"');
      // HAProxy's 401 page: HTML, not cached.
      expect(none.headers.get("content-type")).toStartWith("text/html");
      expect(none.headers.get("cache-control")).toBe("no-cache");
      expect(await none.text()).toContain("<h1>401 Unauthorized</h1>");
      const wrong = await fetch(statsUrl(), { headers: { authorization: "Basic " + Buffer.from("admin:nope").toString("base64") } });
      expect(wrong.status).toBe(401);
      const right = await fetch(statsUrl(), { headers: { authorization: AUTH } });
      expect(right.status).toBe(200);
      const html = await right.text();
      expect(html).toContain('<meta http-equiv="refresh" content="5">');
      expect((await fetch(`http://127.0.0.1:${statsPort}/other`)).status).toBe(503);
    });

    test("headless Chromium renders the page: one table per proxy, the numbers of the traffic, a screenshot that is not blank", () => {
      const dir = tempDir();
      const png = join(dir, "stats.png");
      const url = `http://admin:secret@127.0.0.1:${statsPort}/stats`;
      const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"];
      const dom = spawnSync("chromium", [...flags, "--dump-dom", url], { encoding: "utf8", timeout: 60_000 });
      expect(dom.status).toBe(0);
      const text = dom.stdout;
      expect(text).toContain('<table class="px" data-proxy="fe">');
      expect(text).toContain('<table class="px" data-proxy="be">');
      const cellOf = (sv: string, col: string) => {
        const rowHtml = text.split("<tr ").find((r) => r.includes(`data-sv="${sv}"`))!;
        return new RegExp(`data-col="${col}"[^>]*>([^<]*)<`).exec(rowHtml)?.[1]?.replace(/\u202f/g, "");
      };
      expect(cellOf("FRONTEND", "req_tot")).toBe(String(OK + MISSING + DENIED));
      expect(cellOf("FRONTEND", "dreq")).toBe(String(DENIED));
      expect(cellOf("s1", "hrsp_4xx")).toBe(String(MISSING));
      expect(cellOf("s1", "hrsp_2xx")).toBe(String(OK));
      expect(text).toContain("<svg class=\"spark\"");
      const shot = spawnSync("chromium", [...flags, `--screenshot=${png}`, url], { encoding: "utf8", timeout: 60_000 });
      expect(shot.status).toBe(0);
      const bytes = readFileSync(png);
      expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
      // A blank 1280x900 page compresses to a few KiB; tables of figures do not.
      expect(statSync(png).size).toBeGreaterThan(30_000);
    }, 60_000); // two Chromium starts: ~2 s each on a quiet host, more beside the suite's other work
  });
}
