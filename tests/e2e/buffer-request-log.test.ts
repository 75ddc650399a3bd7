// What option http-buffer-request leaves in the log beside HAProxy 2.6 (the
// httplog line): a request whose body came late counts the wait in %TR; a
// body that never came is a 408 cR with TR -1, logged against the proxy that
// waited, its captures kept; a client gone during the wait is CR with no
// status; `http-request capture req.body` fills %hr; the same for HTTP/2
// clients. Also where the option applies: a backend's own, and `no option`
// over a defaults' one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import net, { type AddressInfo } from "node:net";
import { freePort, sleep, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

let echo: Server;
let echoPort = 0;

beforeAll(async () => {
  echo = createServer((req, res) => {
    let n = 0;
    req.on("data", (d: Buffer) => (n += d.length));
    req.on("end", () => res.end(`len=${n}\n`));
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as AddressInfo).port;
});
afterAll(() => echo?.close());

/**
 * An HTTP/2 (prior knowledge) POST of a 20-byte body whose first 10 bytes
 * come at once and the rest after `restAfterS` seconds (never: the client
 * gives up after 3 s), by curl reading its upload from a pipe.
 */
async function h2post(port: number, path: string, restAfterS: number | undefined): Promise<string> {
  const rest = restAfterS === undefined ? "sleep 3" : `sleep ${restAfterS}; printf 1234567890`;
  const proc = Bun.spawn(["sh", "-c", `(printf 'to=echo&x='; ${rest}) | curl -s -m 5 --http2-prior-knowledge -X POST -H 'content-length: 20' -H 'host: site' -o - -w '%{http_code}' -T - http://127.0.0.1:${port}${path}`], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  // The status curl wrote after the body, then the body's first line unless it is an error page.
  const first = out.slice(0, -3).split("\n")[0]!;
  return first.startsWith("<html>") ? out.slice(-3) : `${out.slice(-3)} ${first.split(" ")[0]}`;
}

const config = (buffered: number, byBackend: number, unbuffered: number) => `global
    log stderr format raw local0
defaults
    mode http
    log global
    option httplog
    option http-buffer-request
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout http-request 1s
frontend fe
    bind 127.0.0.1:${buffered}
    bind 127.0.0.1:${buffered + 1} proto h2
    capture request header host len 20
    http-request capture req.body len 12
    http-request set-var(txn.len) req.body_len
    use_backend gated if { req.body_param(to) -m str gated }
    default_backend echo
frontend plain
    bind 127.0.0.1:${byBackend}
    no option http-buffer-request
    use_backend gated if { path /gated }
    default_backend echo
frontend nowait
    bind 127.0.0.1:${unbuffered}
    # Answered before its body came, the connection closes after the answer: short, so that the proxy stops soon after.
    timeout client 2s
    no option http-buffer-request
    http-request return status 200 content-type text/plain lf-string "len=%[req.body_len]" if { path /len }
    default_backend echo
backend echo
    no option http-buffer-request
    server s 127.0.0.1:${echoPort}
backend gated
    http-request return status 200 content-type text/plain lf-string "gated %[req.body_len]"
`;

/** Whether nothing listens on `port` (127.0.0.1) now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** One request on its own connection: the head, then each part after its delay; `close` ends the connection after them. */
function send(port: number, text: string, parts: { data: string; afterMs?: number }[], close = false): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      s.destroy();
      resolve(out);
    };
    s.on("data", (d) => {
      out += d.toString("latin1");
      const end = out.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(out.slice(0, end));
      if (end >= 0 && length !== null && out.length - end - 4 >= Number(length[1])) finish();
    });
    s.on("close", finish);
    s.on("error", finish);
    s.write(text);
    void (async () => {
      for (const part of parts) {
        if (part.afterMs !== undefined) await sleep(part.afterMs);
        if (!done) s.write(part.data);
      }
      if (close) {
        await sleep(300);
        finish();
      }
    })();
  });
}

const post = (path: string, length: number) => `POST ${path} HTTP/1.1\r\nhost: site\r\ncontent-length: ${length}\r\n\r\n`;

/** The answer's status line and first body line. */
const summary = (answer: string) => {
  const end = answer.indexOf("\r\n\r\n");
  return end < 0 ? answer : `${answer.slice(0, answer.indexOf("\r\n"))} | ${answer.slice(end + 4).split("\n")[0]}`;
};

/**
 * httplog lines of requests (the start's probes aside), with what differs by
 * nature blanked: the client's port and the date, and each timer but TR (sign
 * and magnitude class: -1, 0, or ~300 ms) and Ta's.
 */
function httplog(running: RunningProxy): string[] {
  return running.errLines().filter((l) => /^127\.0\.0\.1:\d+ \[/.test(l) && !l.includes("<BADREQ>")).map((l) =>
    l.replace(/^127\.0\.0\.1:\d+ \[[^\]]+\] /, "").replace(/ (-?\d+)\/(-?\d+)\/(-?\d+)\/(-?\d+)\/(\d+) /, (_m, tr: string, tw: string, tc: string, trr: string) =>
      ` TR=${Number(tr) < 0 ? "-1" : Number(tr) >= 150 ? "wait" : "0"} ${[tw, tc, trr].map((t) => (Number(t) < 0 ? "-1" : "n")).join("/")} `)
      .replace(/ (\d+|-1) (\d+) - - /, " $1 bytes - - ").replace(/ \d+\/\d+\/\d+\/\d+\/\d+ \d+\/\d+ /, " conns ")
  );
}

describe("option http-buffer-request in the log and by section, against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  const logs = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: %TR with the wait, 408 cR, CR on a client gone, capture req.body, backend and no option`, async () => {
      // The HTTP/2 listener on the port after `buffered`'s.
      let buffered = await freePort();
      while (!(await portFree(buffered + 1))) buffered = await freePort();
      const [byBackend, unbuffered] = [await freePort(), await freePort()];
      const running = await proxy.start(config(buffered, byBackend, unbuffered), [buffered, buffered + 1, byBackend, unbuffered]);
      try {
        const seen = {
          late: summary(await send(buffered, post("/late", 20), [{ data: "to=echo&x=" }, { data: "1234567890", afterMs: 300 }])),
          gated: summary(await send(buffered, post("/gated", 13), [{ data: "to=gated&x=12" }])),
          never: summary(await send(buffered, post("/never", 20), [{ data: "to=echo&x=" }])),
          gone: summary(await send(buffered, post("/gone", 20), [{ data: "to=echo&x=" }], true)),
          // No option in the frontend, the backend's own: its rules see the body whole.
          byBackend: summary(await send(byBackend, post("/gated", 20), [{ data: "to=echo&x=" }, { data: "1234567890", afterMs: 300 }])),
          // `no option` over the defaults' line: the rules run on the head alone.
          unbuffered: summary(await send(unbuffered, post("/len", 20), [{ data: "to=echo&x=" }, { data: "1234567890", afterMs: 200 }])),
          h2late: await h2post(buffered + 1, "/h2late", 0.3),
          h2never: await h2post(buffered + 1, "/h2never", undefined),
        };
        expect(seen).toEqual({
          late: "HTTP/1.1 200 OK | len=20",
          gated: "HTTP/1.1 200 OK | gated 13",
          never: "HTTP/1.1 408 Request Time-out | <html><body><h1>408 Request Time-out</h1>",
          gone: "",
          byBackend: "HTTP/1.1 200 OK | gated 20",
          unbuffered: seen.unbuffered,
          h2late: "200 len=20",
          h2never: "408",
        });
        // Without a wait HAProxy's req.body_len is what came with the head (10 here, or 0), sluice's 0.
        expect(seen.unbuffered).toMatch(/^HTTP\/1\.1 200 OK \| len=(0|10)$/);
        expectSameAsHaproxy(answers, proxy.name, { ...seen, unbuffered: "" });
        await waitFor(() => httplog(running).length >= 8, 5000, "eight log lines");
        // curl may send an HTTP/2 request's headers only with its first bytes of body, or later: its %TR is not compared.
        const lines = httplog(running).map((l) => (l.includes("/h2late") ? l.replace(/TR=\S+/, "TR=*") : l));
        expect(lines).toEqual([
          'fe echo/s TR=wait n/n/n 200 bytes - - ---- conns {site|to=echo&x=12} "POST /late HTTP/1.1"',
          'fe gated/<NOSRV> TR=0 -1/-1/-1 200 bytes - - LR-- conns {site|to=gated&x=1} "POST /gated HTTP/1.1"',
          'fe fe/<NOSRV> TR=-1 -1/-1/-1 408 bytes - - cR-- conns {site|} "POST /never HTTP/1.1"',
          'fe echo/<NOSRV> TR=wait -1/-1/-1 -1 bytes - - CR-- conns {site|to=echo&x=} "POST /gone HTTP/1.1"',
          'plain gated/<NOSRV> TR=wait -1/-1/-1 200 bytes - - LR-- conns "POST /gated HTTP/1.1"',
          'nowait nowait/<NOSRV> TR=0 -1/-1/-1 200 bytes - - LR-- conns "POST /len HTTP/1.1"',
          'fe echo/s TR=* n/n/n 200 bytes - - ---- conns {site|to=echo&x=12} "POST http://site/h2late HTTP/2.0"',
          'fe fe/<NOSRV> TR=-1 -1/-1/-1 408 bytes - - cR-- conns {site|} "POST http://site/h2never HTTP/2.0"',
        ]);
        expectSameAsHaproxy(logs, proxy.name, lines);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
