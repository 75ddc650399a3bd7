// retry-on with real servers on loopback: one closes without answering
// (empty-response), one sends garbage (junk-response), one answers 503, one
// never answers (response-timeout). Each failed attempt is discarded, never
// relayed, and the request goes to the good server (option redispatch 1);
// when the retries run out the client gets the last answer; a POST with a
// body is never sent twice; a tcp listen retries connects only.
import { afterEach, describe, expect, test } from "bun:test";
import http from "node:http";
import type net from "node:net";
import http2 from "node:http2";
import { type Backend, exchange, freePort, type Run, selectedTargets, startSluice, stopSluice, tcpBackend, waitFor } from "./harness.ts";
import { type H2Backend, h2Backend } from "./h2-peers.ts";

type Behaviour = "empty" | "junk" | "busy" | "silent" | "ok";

/** An HTTP/1.1 server on loopback, as crude as its failure needs: it acts once a request's head (and body) came. */
function server(behaviour: Behaviour): Promise<Backend> {
  return tcpBackend((socket: net.Socket) => {
    let seen = "";
    socket.on("data", (chunk) => {
      seen += chunk.toString("latin1");
      const headEnd = seen.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = Number(/content-length: *(\d+)/i.exec(seen.slice(0, headEnd))?.[1] ?? 0);
      if (seen.length < headEnd + 4 + length) return;
      seen = "";
      if (behaviour === "empty") return socket.destroy();
      if (behaviour === "junk") return socket.end("SSH-2.0-OpenSSH_9.2\r\n\r\n");
      if (behaviour === "busy") return void socket.write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
      if (behaviour === "ok") return void socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
  });
}

/** An HTTP/2 server (node:http2): "busy" answers 503 in one HEADERS frame with END_STREAM, "empty" resets the stream, "ok" answers 200. */
function h2Server(behaviour: "busy" | "empty" | "ok"): Promise<H2Backend> {
  return h2Backend((stream) => {
    if (behaviour === "busy") return stream.respond({ ":status": 503 }, { endStream: true });
    if (behaviour === "empty") return stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    stream.respond({ ":status": 200 });
    stream.end("ok");
  });
}

function config(port: number, servers: { port: number }[], backendLines: string[], mode = "http", proto = ""): string {
  return `defaults
    mode ${mode}
    timeout connect 1s
    timeout client 5s
    timeout server 600ms

frontend fe
    bind 127.0.0.1:${port}
    default_backend be
${mode === "http" ? "    option httplog\n" : ""}
backend be
${backendLines.map((l) => `    ${l}\n`).join("")}${servers.map((s, i) => `    server s${i} 127.0.0.1:${s.port}${proto}\n`).join("")}`;
}

async function request(port: number, method = "GET", body?: string): Promise<{ status: number; body: string }> {
  return await new Promise((resolve) => {
    const headers = body === undefined ? {} : { "content-length": String(body.length) };
    const req = http.request({ host: "127.0.0.1", port, path: "/", method, agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("latin1");
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(body);
  });
}

/** The server and the retries of an HTTP log line (…/RETRIES before the queues). */
function served(line: string): [string, number] {
  const server = / be\/(\w+) /.exec(line)?.[1] ?? "?";
  return [server, Number(/\/(\d+) \d+\/\d+ "/.exec(line)?.[1] ?? -1)];
}

for (const target of selectedTargets()) {
  describe(`retry-on with real servers (${target.name})`, () => {
    let run: Run | undefined;
    let backends: Backend[] = [];
    let h2Backends: H2Backend[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const b of backends.splice(0)) await b.close();
      for (const b of h2Backends.splice(0)) await b.close();
    });

    async function start(behaviours: Behaviour[], lines: string[], mode = "http"): Promise<number> {
      backends = await Promise.all(behaviours.map(server));
      const port = await freePort();
      run = await startSluice(target, config(port, backends, lines, mode));
      return port;
    }

    async function logLine(): Promise<string> {
      const lines = () => run!.errLines.filter((l) => / fe be\//.test(l));
      await waitFor(() => lines().length >= 1, 3000, "the log line");
      return lines()[0]!;
    }

    test.each([
      ["empty-response", "empty"],
      ["junk-response", "junk"],
      ["503", "busy"],
      ["response-timeout", "silent"],
    ] as const)("retry-on %s: the failed attempt is discarded and the next server answers", async (condition, behaviour) => {
      const port = await start([behaviour, "ok"], [`retry-on ${condition}`, "option redispatch 1"]);
      expect(await request(port)).toEqual({ status: 200, body: "ok" });
      expect(backends.map((b) => b.accepted)).toEqual([1, 1]);
      expect(served(await logLine())).toEqual(["s1", 1]);
    });

    test("503 everywhere: when the retries run out the client gets the last 503 as the server sent it", async () => {
      const port = await start(["busy", "busy"], ["retries 1", "retry-on 503", "option redispatch 1"]);
      expect(await request(port)).toEqual({ status: 503, body: "busy" });
      expect(backends.map((b) => b.accepted)).toEqual([1, 1]);
      expect(served(await logLine())).toEqual(["s1", 1]);
    });

    test("not listed in retry-on (the default: conn-failure): an empty response is the client's 502", async () => {
      const port = await start(["empty", "ok"], ["option redispatch 1"]);
      expect((await request(port)).status).toBe(502);
      expect(backends.map((b) => b.accepted)).toEqual([1, 0]);
    });

    test("a POST with a body is not sent again on response conditions: its 503 is relayed", async () => {
      const port = await start(["busy", "ok"], ["retry-on 503 empty-response", "option redispatch 1"]);
      expect(await request(port, "POST", "payload")).toEqual({ status: 503, body: "busy" });
      expect(backends.map((b) => b.accepted)).toEqual([1, 0]);
      expect(served(await logLine())).toEqual(["s0", 0]);
    });

    test.each([
      ["503", "busy"],
      ["empty-response", "empty"],
    ] as const)("HTTP/2 servers: retry-on %s, the stream's answer discarded, the next server's relayed", async (condition, behaviour) => {
      h2Backends = [await h2Server(behaviour), await h2Server("ok")];
      const port = await freePort();
      run = await startSluice(target, config(port, h2Backends, [`retry-on ${condition}`, "option redispatch 1"], "http", " proto h2"));
      expect(await request(port)).toEqual({ status: 200, body: "ok" });
      expect(await request(port)).toEqual({ status: 200, body: "ok" });
      // Both answers came from the good server; the failing one saw at least the first request (balancing decides the second's first try).
      const streams = h2Backends.map((b) => b.sessions.reduce((n, s) => n + s.streams, 0));
      expect(streams[0]).toBeGreaterThanOrEqual(1);
      expect(streams[1]).toBe(2);
      expect(run.errLines.filter((l) => /violation|uncaught|TypeError|RangeError/i.test(l))).toEqual([]);
    });

    test("mode tcp: retry-on's HTTP conditions are ignored (warned about), a closed connection is not retried", async () => {
      const port = await start(["empty", "ok"], ["retry-on empty-response", "option redispatch 1"], "tcp");
      expect(run!.errLines.some((l) => l.includes("retry-on empty-response is ignored in mode tcp"))).toBe(true);
      const got = await exchange(port, "GET / HTTP/1.1\r\n\r\n", { end: false });
      expect(got.data.toString()).toBe("");
      expect(backends.map((b) => b.accepted)).toEqual([1, 0]);
    });
  });
}
