// `capture cookie NAME len N` beside HAProxy 2.6 on the same haproxy.cfg:
// the log's %CC and %CS (custom formats, +Q, +E) and the `option httplog`
// line, for the cookies HAProxy takes (the first whose `name=value` begins
// with NAME, blanks around '=' dropped, quoted values, several Cookie
// fields, Set-Cookie's cookie without its attributes), those it leaves (no
// '=', a request the frontend answers itself), `len 0`, and the last line
// winning.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { freePort, waitFor } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

// Answers with the Set-Cookie fields its `sc` query parameters spell.
const server = http.createServer((req, res) => {
  const cookies = new URL(req.url ?? "/", "http://x").searchParams.getAll("sc");
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.end("ok");
});
afterAll(() => server.close());

function get(port: number, path: string, cookies: string[]): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () =>
      s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n${cookies.map((c) => `cookie: ${c}\r\n`).join("")}connection: close\r\n\r\n`),
    );
    s.on("data", () => {});
    s.on("close", () => resolve());
    s.on("error", () => resolve());
  });
}

const REQUESTS: [path: string, cookies: string[]][] = [
  ["/?sc=ABX%3Dworld%3B%20Path%3D%2F&sc=AB%3Dzz", ["x=1; ABC=hello; AB=22"]],
  ["/", ["x=1, AB = spaced value ; y=2"]],
  ["/", ["AB"]],
  ['/?sc=AB%3D%22x%20y%22', ['AB="q;uo"']],
  ["/ret", ["ABxyz=1"]],
  ["/", ["A=1", "ABq=2"]],
  ["/?sc=AB%3Dx%5Dy", ['AB=a"b]c']],
  ["/?sc=Other%3D1", []],
];

describe("capture cookie against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: %CC and %CS, custom and httplog lines`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const [custom, httplog, empty] = [await freePort(), await freePort(), await freePort()];
      const backend = `backend b\n    server s 127.0.0.1:${(server.address() as net.AddressInfo).port}\n`;
      const running = await proxy.start(`
${httpDefaults()}frontend custom
    bind 127.0.0.1:${custom}
    log stderr format raw local0
    option dontlognull
    capture cookie SID len 10
    capture cookie AB len 6
    log-format "custom [%CC|%{+Q}CC|%{+E}CC|%CS|%{+Q}CS|%{+E}CS]"
    http-request return status 200 if { path /ret }
    default_backend b
frontend httplog
    bind 127.0.0.1:${httplog}
    log stderr format raw local0
    option dontlognull
    option httplog
    capture cookie AB len 63
    default_backend b
frontend empty
    bind 127.0.0.1:${empty}
    log stderr format raw local0
    option dontlognull
    capture cookie Z len 0
    log-format "empty [%CC|%{+Q}CC|%CS|%{+Q}CS]"
    default_backend b
${backend}`, [custom, httplog, empty]);
      try {
        for (const [path, cookies] of REQUESTS) await get(custom, path, cookies);
        await get(httplog, "/?sc=AB%3Dsrv%3B%20HttpOnly", ["AB=cli"]);
        await get(httplog, "/", []);
        await get(empty, "/?sc=Z%3D2", ["Z=1"]);
        const lines = () => running.errLines();
        const count = (prefix: string) => lines().filter((l) => l.startsWith(prefix)).length;
        await waitFor(() => count("custom [") === REQUESTS.length && count("empty [") === 1 && lines().filter((l) => l.includes(" httplog b/")).length === 2, 5000, "the log lines");
        // The httplog line from its status on: "200 <bytes> %CC %CS ----" (the bytes differ between proxies' pages).
        const httplogFields = lines().filter((l) => l.includes(" httplog b/")).map((l) => / 200 \d+ (\S+ \S+) /.exec(l)?.[1] ?? l);
        const seen = {
          custom: lines().filter((l) => l.startsWith("custom [")),
          empty: lines().filter((l) => l.startsWith("empty [")),
          httplog: httplogFields,
        };
        expect(seen.custom[0]).toBe("custom [ABC=he|\"ABC=he\"|ABC=he|ABX=wo|\"ABX=wo\"|ABX=wo]");
        expect(seen.httplog).toEqual(["AB=cli AB=srv", "- -"]);
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
