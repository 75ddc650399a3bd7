// Rules held to HAProxy's behaviour (issue 15): one haproxy.cfg full of
// rules, run by HAProxy 2.6 (Debian's) and by sluice under each target; the
// same raw HTTP/1.1 requests to each; for every request the status, the
// Location and the X- fields of the answer, and what the server saw (which
// backend, method, URI, X- fields), must be the same. HAProxy runs first and
// its observations are the expectations.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

interface Seen {
  backend: string;
  method: string;
  url: string;
  fields: Record<string, string>;
}

/** Only the fields the rules write: the others (Connection, X-Forwarded-For...) are each proxy's own business. */
function xFields(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith("x-") || k === "host" || k === "cookie" || k === "cache-control") out[k] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

async function backend(name: string, port: number, seen: Seen[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    seen.push({ backend: name, method: req.method!, url: req.url!, fields: xFields(req.headers) });
    if (req.url === "/status/500") res.statusCode = 500;
    res.setHeader("server", "backend/1.0");
    res.setHeader("x-upstream", name);
    res.end(`${name}\n`);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return server;
}

interface Answer {
  status: number;
  location: string | undefined;
  fields: Record<string, string>;
  seen: Seen | undefined;
}

/** One request on its own connection; the answer's status line and fields. */
function ask(port: number, request: string): Promise<{ status: number; fields: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let got = "";
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\r\n\r\n")) socket.end();
    });
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      const [head = ""] = got.split("\r\n\r\n");
      const [line = "", ...rest] = head.split("\r\n");
      const fields: Record<string, string> = {};
      for (const l of rest) {
        const i = l.indexOf(":");
        const name = l.slice(0, i).trim().toLowerCase();
        fields[name] = fields[name] === undefined ? l.slice(i + 1).trim() : `${fields[name]}, ${l.slice(i + 1).trim()}`;
      }
      resolve({ status: Number(line.split(" ")[1] ?? 0), fields });
    });
  });
}

const MAP = "/api/ api\n/static/ static\n";

function config(port: number, ports: number[], mapFile: string): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:${port}
    acl is_admin path_beg /admin
    acl from_lan src 10.0.0.0/8
    acl api_host hdr(host) -i api.example.test
    acl has_token url_param(token) -m found
    http-request deny deny_status 403 if is_admin !from_lan
    http-request return status 204 if { path /empty }
    http-request redirect scheme https code 301 if { hdr(host) -i secure.example.test }
    http-request redirect prefix /v2 code 302 drop-query if { path_beg /legacy }
    http-request redirect location /moved code 307 if { path /old }
    http-request redirect prefix /slash append-slash if { path /dir }
    http-request set-header X-Host %[req.hdr(host),lower]
    http-request add-header X-Via edge
    http-request del-header X-Drop
    http-request replace-header X-Agent (.*)-beta \\1
    http-request replace-value X-List ^b$ B
    http-request set-header X-Token %[url_param(token)] if has_token
    http-request set-header X-Upper %[path,upper] if { path_beg /case }
    http-request set-header X-Field %[req.hdr(x-csv),field(2,\\,)] if { req.hdr(x-csv) -m found }
    http-request set-header X-Word %[req.hdr(x-csv),word(1,\\,)] if { req.hdr(x-csv) -m found }
    http-request set-header X-B64 %[req.hdr(x-plain),base64] if { req.hdr(x-plain) -m found }
    http-request set-header X-Net %[src,ipmask(24)]
    http-request set-header X-Cookie %[req.cook(session)] if { req.cook(session) -m found }
    http-request set-header X-Map %[path,map_beg(${mapFile},none)]
    http-request set-header X-Sub %[path,regsub(/+,/,g)] if { path_sub // }
    http-request set-path /new%[path] if { path_beg /rewrite }
    http-request set-query v=1 if { path /query }
    http-request set-method POST if { path /method }
    http-request replace-path /strip(/.*) \\1 if { path_beg /strip/ }
    use_backend api if api_host || { path_beg /api/ }
    use_backend %[req.hdr(x-backend)] if { req.hdr(x-backend) -m found }
    http-response set-header X-Served %[status]
    http-response del-header Server
    http-response set-status 503 if { status 500 }
    default_backend web

backend web
    server w1 127.0.0.1:${ports[0]}

backend api
    http-request set-header X-Api-Path %[path]
    http-response set-header X-Api yes
    server a1 127.0.0.1:${ports[1]}
`;
}

const REQUESTS: string[] = [
  "GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
  "GET /admin/users HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /page?a=1 HTTP/1.1\r\nHost: secure.example.test\r\n\r\n",
  "GET /legacy/page?a=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /old HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /dir HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /p HTTP/1.1\r\nHost: Mixed.Example.TEST\r\nX-Drop: 1\r\nX-Agent: tool-beta\r\nX-List: a, b, c\r\n\r\n",
  "GET /p?token=abc&x=2 HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /case/Path HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /p HTTP/1.1\r\nHost: x\r\nX-Csv: one,two,three\r\nX-Plain: hello\r\nCookie: a=1; session=s3cr3t; b=2\r\n\r\n",
  "GET /api/v1/items HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /static/x.css HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET //double//slash HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /rewrite/me?q=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /query?old=1 HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /method HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /strip/inner/path HTTP/1.1\r\nHost: x\r\n\r\n",
  "GET /x HTTP/1.1\r\nHost: API.example.test\r\n\r\n",
  "GET /x HTTP/1.1\r\nHost: x\r\nX-Backend: api\r\n\r\n",
  "GET /x HTTP/1.1\r\nHost: x\r\nX-Backend: nosuch\r\n\r\n",
  "GET /status/500 HTTP/1.1\r\nHost: x\r\n\r\n",
];

/** Runs `proxy` on the rules configuration and answers every request of REQUESTS in order. */
async function observe(start: (config: string, ports: number[]) => Promise<RunningProxy>): Promise<Answer[]> {
  const seen: Seen[] = [];
  const ports = [await freePort(), await freePort()];
  while (ports[1] === ports[0]) ports[1] = await freePort();
  const servers = [await backend("web", ports[0]!, seen), await backend("api", ports[1]!, seen)];
  let port = 0;
  do port = await freePort(); while (ports.includes(port));
  const mapFile = join(tempDir(), "prefixes.map");
  writeFileSync(mapFile, MAP);
  const run = await start(config(port, ports, mapFile), [port]);
  try {
    const answers: Answer[] = [];
    for (const request of REQUESTS) {
      seen.length = 0;
      const answer = await ask(port, request);
      answers.push({ status: answer.status, location: answer.fields.location, fields: xFields(answer.fields), seen: seen[0] });
    }
    return answers;
  } finally {
    await run.stop();
    await Promise.all(servers.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
  }
}

// HAProxy is the reference whatever SLUICE_TARGETS selects: its answers are the expectations.
let reference: Answer[] = [];
beforeAll(async () => {
  reference = await observe((c, p) => haproxy.start(c, p));
});

test("HAProxy answered every request", () => {
  expect(reference.length).toBe(REQUESTS.length);
  for (const a of reference) expect(a.status).toBeGreaterThan(0);
});

for (const proxy of proxiesUnderTest().filter((p) => p !== haproxy)) {
  describe(`rules as HAProxy applies them (${proxy.name})`, () => {
    let answers: Answer[] = [];
    beforeAll(async () => {
      answers = await observe((c, p) => proxy.start(c, p));
    });
    REQUESTS.forEach((request, i) => {
      test(`${request.split("\r\n")[0]} #${i}`, () => {
        expect(answers[i]).toEqual(reference[i]!);
      });
    });
  });
}
