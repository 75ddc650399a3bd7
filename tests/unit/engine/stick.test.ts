// Stick tables in the stream (issue 15), over the in-memory runtime and its
// virtual clock: the rate-limit idiom's exact counts, the sliding rate across
// a period's end, expiry, what tracking counts (requests, connections,
// errors, bytes, gpc0) and persistence by `stick on`.
import { afterEach, expect, test } from "bun:test";
import { MemSocket } from "../../support/mem-runtime.ts";
import { type Engine, engine, send } from "./harness.ts";

const BASE = `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 5m
    timeout server 5m
`;

const RATE_LIMIT = `${BASE}
frontend fe
    bind 127.0.0.1:9200
    stick-table type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt,conn_cur,conn_cnt,http_err_cnt,bytes_in_cnt,bytes_out_cnt,gpc0
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 20 }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`;

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

/** A client from `address`, accepted by the frontend. */
function clientFrom(en: Engine, address: string, port: number): MemSocket {
  const socket = new MemSocket(address, port, true);
  en.runtime.accept(socket);
  return socket;
}

/**
 * Sends one request on `client` and answers it from whichever server
 * connection got it (`answer`); returns the status line the client got.
 */
async function request(en: Engine, client: MemSocket, path = "/", answer = OK): Promise<string> {
  const before = client.text().length;
  const asked = en.runtime.servers.map((s) => s.text().length);
  await send(en.clock, client, GET(path));
  const server = en.runtime.servers.find((s, i) => s.text().length > (asked[i] ?? 0));
  if (server !== undefined) await send(en.clock, server, answer);
  return client.text().slice(before).split("\r\n")[0]!;
}

function entry(en: Engine, table: string, key: string) {
  return en.proxy.stickTables!.store.table(table)!.lookup(key, en.clock.now());
}

test("the rate-limit idiom: requests 1..20 in the window pass, the 21st and later get 429 (the denied ones count too)", async () => {
  e = await engine(RATE_LIMIT);
  const client = e.client();
  const statuses: string[] = [];
  for (let i = 1; i <= 22; i++) statuses.push(await request(e, client));
  expect(statuses.slice(0, 20).every((s) => s === "HTTP/1.1 200 OK")).toBe(true);
  expect(statuses.slice(20)).toEqual(["HTTP/1.1 429 Too Many Requests", "HTTP/1.1 429 Too Many Requests"]);
  const seen = entry(e, "fe", "127.0.0.1")!;
  expect(seen.read("http_req_rate", e.clock.now())).toBe(22);
  expect(seen.read("http_req_cnt", e.clock.now())).toBe(22);
  // Tracking per stream: every request counts a connection; none is current between requests.
  expect(seen.read("conn_cnt", e.clock.now())).toBe(22);
  expect(seen.read("conn_cur", e.clock.now())).toBe(0);
  // The two denies are HTTP errors (HAProxy 2.6 counts http-request deny and tarpit).
  expect(seen.read("http_err_cnt", e.clock.now())).toBe(2);
  expect(seen.refCount).toBe(0);
  // Another address has its own count.
  expect(await request(e, clientFrom(e, "10.0.0.7", 41000))).toBe("HTTP/1.1 200 OK");
});

test("the rate slides: right after the period the previous one still weighs fully, half of it halfway through", async () => {
  e = await engine(RATE_LIMIT);
  // At a multiple of the period (past the first), a rate's first period begins with its first event.
  await e.clock.advance(20_000 - (e.clock.now() % 10_000));
  const client = e.client();
  for (let i = 1; i <= 22; i++) await request(e, client);
  // 10 s on: a new period; the previous one's 22 are all still inside the sliding window.
  await e.clock.advance(10_000);
  expect(await request(e, client)).toBe("HTTP/1.1 429 Too Many Requests");
  // 5 s later: 1 + floor(22 * 5/10) = 12 before this request, 13 with it: under the limit.
  await e.clock.advance(5_000);
  expect(entry(e, "fe", "127.0.0.1")!.read("http_req_rate", e.clock.now())).toBe(12);
  expect(await request(e, client)).toBe("HTTP/1.1 200 OK");
  // Two periods on, nothing of the past is left: the count starts again.
  await e.clock.advance(20_000);
  expect(entry(e, "fe", "127.0.0.1")!.read("http_req_rate", e.clock.now())).toBe(0);
  for (let i = 1; i <= 20; i++) expect(await request(e, client)).toBe("HTTP/1.1 200 OK");
  expect(await request(e, client)).toBe("HTTP/1.1 429 Too Many Requests");
});

test("an entry expires `expire` after its last write, and the purge timer gives its memory back", async () => {
  e = await engine(RATE_LIMIT);
  const client = e.client();
  await request(e, client);
  const table = e.proxy.stickTables!.store.table("fe")!;
  expect(table.size).toBe(1);
  await e.clock.advance(29_999);
  expect(entry(e, "fe", "127.0.0.1")).toBeDefined();
  await e.clock.advance(1);
  expect(entry(e, "fe", "127.0.0.1")).toBeUndefined();
  // Nothing looked it up: the purge took it.
  const other = clientFrom(e, "10.0.0.8", 41001);
  await request(e, other);
  await e.clock.advance(31_000);
  expect(table.size).toBe(0);
});

test("4xx responses and denies count as HTTP errors, 5xx and returns do not; bytes in and out are counted when the stream ends; sc-inc-gpc0", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    stick-table type ip size 10 expire 1m store http_err_cnt,http_err_rate(10s),bytes_in_cnt,bytes_out_cnt,gpc0,gpc0_rate(1s)
    http-request track-sc1 src
    http-request sc-inc-gpc0(1) if { path /bump }
    http-request deny if { path /denied }
    http-request return status 404 if { path /returned }
    http-response set-header X-Errors %[sc1_http_err_cnt]
    http-response set-header X-Gpc0 %[sc_get_gpc0(1)] if { path /bump }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  expect(await request(e, client, "/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")).toBe("HTTP/1.1 404 Not Found");
  // The response rules see the error already counted (HAProxy counts it when the head arrives).
  expect(client.text()).toContain("X-Errors: 1\r\n");
  await request(e, client, "/broken", "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  await request(e, client, "/bump");
  expect(client.text()).toContain("X-Gpc0: 1\r\n");
  // A deny counts; a return, even a 404, does not (HAProxy 2.6).
  expect(await request(e, client, "/denied")).toBe("HTTP/1.1 403 Forbidden");
  expect(await request(e, client, "/returned")).toBe("HTTP/1.1 404 Not Found");
  const now = e.clock.now();
  const seen = entry(e, "fe", "127.0.0.1")!;
  expect(seen.read("http_err_cnt", now)).toBe(2);
  expect(seen.read("http_err_rate", now)).toBe(2);
  expect(seen.read("gpc0", now)).toBe(1);
  expect(seen.read("gpc0_rate", now)).toBe(1);
  const bytesIn = ["/missing", "/broken", "/bump", "/denied", "/returned"].reduce((n, path) => n + GET(path).length, 0);
  expect(seen.read("bytes_in_cnt", now)).toBe(bytesIn);
  expect(seen.read("bytes_out_cnt", now)).toBe(client.text().length);
});

test("track-sc in another proxy's table: sc_*(N,table), src_* and table_* read it", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request track-sc2 src table limits
    http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(2,limits)] %[src_http_req_cnt(limits)] %[sc2_conn_cur(limits)] %[src,table_http_req_cnt(limits)] %[str(10.9.9.9),table_http_req_cnt(limits)]" if { path /count }
    default_backend be
backend be
    server s1 127.0.0.1:9100
backend limits
    stick-table type ip size 10 expire 1m store http_req_cnt,conn_cur
`);
  const client = e.client();
  await request(e, client);
  await request(e, client);
  await send(e.clock, client, GET("/count"));
  // While the third request's stream lives it holds one connection on the entry.
  // table_* converters look any key up (one never seen counts 0).
  expect(client.text()).toEndWith("\r\n\r\n3 3 1 3 0");
});

const STICKY = `${BASE}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    balance roundrobin
    stick-table type ip size 10 expire 30m
    stick on src
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102
`;

test("stick on src: a client keeps its server across connections; a server that is not usable: balanced and stuck again", async () => {
  e = await engine(STICKY);
  const ports = () => e!.runtime.servers.map((s) => s.remotePort);
  await request(e, clientFrom(e, "10.0.0.1", 41100));
  await request(e, clientFrom(e, "10.0.0.2", 41101));
  expect(ports()).toEqual([9101, 9102]);
  // New connections: each client goes back to its server, though round robin would alternate.
  for (let i = 0; i < 3; i++) {
    const c = clientFrom(e, "10.0.0.1", 41102 + i);
    await send(e.clock, c, GET("/"));
    const server = e.runtime.servers.at(-1)!;
    expect(server.remotePort).toBe(9101);
    await send(e.clock, server, OK);
  }
  const table = e.proxy.stickTables!.store.table("be")!;
  expect(table.lookup("10.0.0.1", e.clock.now())!.read("server_id", e.clock.now())).toBe(1);
  expect(table.lookup("10.0.0.2", e.clock.now())!.read("server_id", e.clock.now())).toBe(2);
  // s1 goes to maintenance: 10.0.0.1 is balanced to s2 and sticks there, even once s1 is back.
  const s1 = e.proxy.backends.get("be")!.servers[0]!;
  s1.disabled = true;
  await request(e, clientFrom(e, "10.0.0.1", 41110));
  expect(table.lookup("10.0.0.1", e.clock.now())!.read("server_id", e.clock.now())).toBe(2);
  s1.disabled = false;
  const before = e.runtime.servers.length;
  await request(e, clientFrom(e, "10.0.0.1", 41111));
  expect(e.runtime.servers.slice(before).every((s) => s.remotePort === 9102)).toBe(true);
  expect(table.lookup("10.0.0.1", e.clock.now())!.read("server_id", e.clock.now())).toBe(2);
});

test("stick match reads without writing; stick store-request writes what a header says", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    balance roundrobin
    stick-table type string len 16 size 10 expire 30m store server_id
    stick match req.hdr(x-user)
    stick store-request req.hdr(x-user) if { path /login }
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102
`);
  const table = e.proxy.stickTables!.store.table("be")!;
  const asUser = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nX-User: ann\r\n\r\n`;
  const c1 = clientFrom(e, "10.0.0.1", 41200);
  await send(e.clock, c1, asUser("/page"));
  await send(e.clock, e.server(0), OK);
  expect(table.lookup("ann", e.clock.now())).toBeUndefined();
  // /login stores the server it went to (round robin's second: s2).
  const c2 = clientFrom(e, "10.0.0.2", 41201);
  await send(e.clock, c2, asUser("/login"));
  await send(e.clock, e.server(1), OK);
  expect(e.server(1).remotePort).toBe(9102);
  expect(table.lookup("ann", e.clock.now())!.read("server_id", e.clock.now())).toBe(2);
  // From any address, ann's requests go to s2 from now on.
  for (let i = 0; i < 2; i++) {
    const c = clientFrom(e, `10.0.1.${i}`, 41210 + i);
    await send(e.clock, c, asUser("/page"));
    const server = e.runtime.servers.at(-1)!;
    expect(server.remotePort).toBe(9102);
    await send(e.clock, server, OK);
  }
});
