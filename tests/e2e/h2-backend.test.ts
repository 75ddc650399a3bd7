// HTTP/2 servers behind sluice (`server … proto h2`, cleartext, prior
// knowledge), end to end under each target, with HTTP/1.1 clients in front:
// multiplexing and invariant 16 (always: few connections, every response to
// its own client; safe: N active sessions → N connections, reused later), the
// same against nghttpd and nginx, large bodies both ways and trailers,
// RST_STREAM / REFUSED_STREAM (invariant 16), GOAWAY under load (invariant 9),
// SETTINGS_MAX_CONCURRENT_STREAMS 1 (invariant 9), per-stream flow control (a
// slow client holds back its own stream only) and invariant 5 (a 401 NTLM
// over HTTP/2 leaves the connection shared). The servers report which of
// their connections (sessions) answered; sluice runs with --strict-ownership,
// so any ownership violation would crash it.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { ErrorCode, SettingId } from "../../src/http2/constants.ts";
import * as write from "../../src/http2/frame-writer.ts";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import {
  answerOk,
  bareH2Server,
  type BareServer,
  type ChildServer,
  type H2Backend,
  h2Backend,
  type H2Handler,
  HttpConn,
  patterned,
  type HttpReply,
  sha256,
  startNghttpd,
  startNginx,
  within,
} from "./h2-peers.ts";

const TIMEOUT = 30000;

function h2Config(port: number, serverPort: number, reuse: string, extra = ""): string {
  return `global
    hard-stop-after 3s

defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    http-reuse ${reuse}
${extra}
    server s 127.0.0.1:${serverPort} proto h2
`;
}

/** Answers with the request's x-nonce (header and body) and the session that carried it, after `delay(path)` ms. */
function nonceHandler(delay: (path: string) => number = () => 0): H2Handler {
  return (stream, headers, session) => {
    const nonce = String(headers["x-nonce"] ?? "-");
    stream.on("data", () => {});
    const answer = () => {
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ":status": 200, "x-nonce": nonce, "x-session": String(session.id), "content-type": "text/plain" });
      stream.end(`nonce ${nonce} session ${session.id}\n`);
    };
    const ms = delay(String(headers[":path"]));
    if (ms > 0) setTimeout(answer, ms);
    else answer();
  };
}

function expectNonce(r: HttpReply, nonce: string): number {
  expect(r.status).toBe(200);
  expect(r.headers["x-nonce"]).toBe(nonce);
  const session = Number(r.headers["x-session"]);
  expect(r.body.toString()).toBe(`nonce ${nonce} session ${session}\n`);
  return session;
}

for (const target of selectedTargets()) {
  describe(`HTTP/2 servers (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => unknown)[] = [];
    const clients: HttpConn[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.close();
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0).reverse()) await c();
    });

    async function sluice(serverPort: number, reuse: string, extra = ""): Promise<number> {
      const port = await freePort();
      run = await startSluice(target, h2Config(port, serverPort, reuse, extra));
      return port;
    }
    async function h2(handler: H2Handler, settings: http2.Settings = {}): Promise<H2Backend> {
      const b = await h2Backend(handler, settings);
      closers.push(b.close);
      return b;
    }
    async function bare(onRequest: Parameters<typeof bareH2Server>[0], options?: Parameters<typeof bareH2Server>[1]): Promise<BareServer> {
      const b = await bareH2Server(onRequest, options);
      closers.push(b.close);
      return b;
    }
    async function child(start: () => Promise<ChildServer>): Promise<ChildServer> {
      const c = await start();
      closers.push(c.close);
      return c;
    }
    async function connect(port: number, n = 1): Promise<HttpConn[]> {
      const cs = await Promise.all(Array.from({ length: n }, () => HttpConn.connect(port)));
      clients.push(...cs);
      return cs;
    }
    /** sluice is still running and logged no ownership violation. */
    function proxyHealthy(): void {
      expect(run!.proc.exitCode).toBeNull();
      expect(run!.errLines.filter((l) => /violation|uncaught|TypeError|RangeError/i.test(l))).toEqual([]);
    }

    // ---- 1. multiplexing, invariant 16 ----

    test("always: 50 concurrent clients share ≤ 2 HTTP/2 connections, every response carries its own nonce (3 rounds)", async () => {
      // Answers come back out of order: a few ms of random delay per stream.
      const be = await h2(nonceHandler(() => Math.floor(Math.random() * 5)));
      const port = await sluice(be.port, "always");
      const cs = await connect(port, 50);
      for (let round = 0; round < 3; round++) {
        const replies = await within(10000, `round ${round}`, Promise.all(cs.map((c, i) => c.request(`/n/${i}`, { headers: { "x-nonce": `c${i}-r${round}` } }))));
        replies.forEach((r, i) => expectNonce(r, `c${i}-r${round}`));
      }
      expect(be.sessions.length).toBeGreaterThanOrEqual(1);
      expect(be.sessions.length).toBeLessThanOrEqual(2);
      expect(be.sessions.reduce((n, s) => n + s.streams, 0)).toBe(150);
      // Multiplexed for real: some connection carried many streams at once.
      expect(Math.max(...be.sessions.map((s) => s.maxActive))).toBeGreaterThan(1);
      proxyHealthy();
    }, TIMEOUT);

    test("safe: 20 sessions with slow requests at once → 20 connections, one stream each; their later requests reuse them", async () => {
      const be = await h2(nonceHandler((path) => (path.startsWith("/slow") ? 300 : 0)));
      const port = await sluice(be.port, "safe");
      const cs = await connect(port, 20);
      const first = await within(10000, "first round", Promise.all(cs.map((c, i) => c.request(`/slow/${i}`, { headers: { "x-nonce": `a${i}` } }))));
      const round1 = first.map((r, i) => expectNonce(r, `a${i}`));
      // N concurrently active sessions → N connections (invariant 16).
      expect(new Set(round1).size).toBe(20);
      expect(be.sessions.length).toBe(20);
      const second = await within(10000, "second round", Promise.all(cs.map((c, i) => c.request(`/slow/${i}/2`, { headers: { "x-nonce": `b${i}` } }))));
      const round2 = second.map((r, i) => expectNonce(r, `b${i}`));
      // Later requests reuse those connections (no new one), still one active session per connection.
      expect(be.sessions.length).toBe(20);
      expect(new Set(round2).size).toBe(20);
      for (const s of round2) expect(round1).toContain(s);
      for (const s of be.sessions) {
        expect(s.maxActive).toBe(1);
        expect(s.streams).toBe(2);
      }
      proxyHealthy();
    }, TIMEOUT);

    test("never: each session's HTTP/2 connection is its own, carries only its streams and closes with it (invariants 2, 3)", async () => {
      const be = await h2(nonceHandler());
      const port = await sluice(be.port, "never");
      const seen = new Set<number>();
      for (let i = 0; i < 3; i++) {
        const [c] = await connect(port);
        const a = expectNonce(await within(5000, "first", c!.request(`/p/${i}/1`, { headers: { "x-nonce": `p${i}-1` } })), `p${i}-1`);
        const b = expectNonce(await within(5000, "second", c!.request(`/p/${i}/2`, { headers: { "x-nonce": `p${i}-2` } })), `p${i}-2`);
        expect(b).toBe(a);
        expect(seen.has(a)).toBe(false);
        seen.add(a);
        expect(be.sessions[a - 1]!.closed).toBe(false);
        c!.close();
        await waitFor(() => be.sessions[a - 1]!.closed, 2000, `the server connection of client ${i} to close with it`);
      }
      expect(be.sessions.length).toBe(3);
      for (const s of be.sessions) expect(s.streams).toBe(2);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 2. nghttpd and nginx ----

    test("nghttpd: 50 concurrent clients, each gets its own file byte-exact, over ≤ 2 connections", async () => {
      const files: Record<string, Uint8Array> = {};
      for (let i = 0; i < 50; i++) files[`f${i}`] = patterned(1000 + i * 997, i);
      const ng = await child(() => startNghttpd(files));
      const port = await sluice(ng.port, "always");
      const cs = await connect(port, 50);
      for (let round = 0; round < 2; round++) {
        const replies = await within(10000, `round ${round}`, Promise.all(cs.map((c, i) => c.request(`/f${i}`))));
        replies.forEach((r, i) => {
          expect(r.status).toBe(200);
          expect(r.body.length).toBe(files[`f${i}`]!.length);
          expect(sha256(r.body)).toBe(sha256(files[`f${i}`]!));
        });
      }
      await waitFor(() => [...ng.requestsPerConnection().values()].reduce((a, b) => a + b, 0) === 100, 5000, "nghttpd to log 100 requests");
      expect(ng.connections()).toBeGreaterThanOrEqual(1);
      expect(ng.connections()).toBeLessThanOrEqual(2);
      proxyHealthy();
    }, TIMEOUT);

    test("nginx (listen … http2, cleartext): 50 concurrent clients, each gets its own nonce, over ≤ 2 connections", async () => {
      const nx = await child(() => startNginx());
      const port = await sluice(nx.port, "always");
      const cs = await connect(port, 50);
      const conns = new Set<string>();
      for (let round = 0; round < 2; round++) {
        const replies = await within(10000, `round ${round}`, Promise.all(cs.map((c, i) => c.request(`/nonce/${i}`, { headers: { "x-nonce": `n${i}-${round}` } }))));
        replies.forEach((r, i) => {
          expect(r.status).toBe(200);
          expect(r.headers["x-nonce"]).toBe(`n${i}-${round}`);
          expect(r.body.toString()).toBe(`nonce n${i}-${round}\n`);
          conns.add(r.headers["x-conn"]!);
        });
      }
      await waitFor(() => [...nx.requestsPerConnection().values()].reduce((a, b) => a + b, 0) === 100, 3000, "nginx to log 100 requests");
      expect(conns.size).toBeLessThanOrEqual(2);
      expect(nx.connections()).toBeGreaterThanOrEqual(1);
      expect(nx.connections()).toBeLessThanOrEqual(2);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 3. large bodies, trailers ----

    test("a 5 MiB POST (curl --data-binary) is echoed back byte-exact; the server got every byte", async () => {
      let got: string | undefined;
      let gotBytes = 0;
      const be = await h2((stream, headers) => {
        // curl asks before it sends 5 MiB: the interim answer must come through.
        if (headers.expect === "100-continue") stream.additionalHeaders({ ":status": 100 });
        const hash = (Bun as unknown as { CryptoHasher: new (a: string) => { update(b: Uint8Array): void; digest(e: string): string } }).CryptoHasher;
        const h = new hash("sha256");
        stream.respond({ ":status": 200, "content-type": "application/octet-stream" });
        stream.on("data", (d: Buffer) => {
          h.update(d);
          gotBytes += d.length;
          stream.write(d);
        });
        stream.on("end", () => {
          got = h.digest("hex");
          stream.end();
        });
      });
      const port = await sluice(be.port, "always");
      const dir = tempDir();
      const body = patterned(5 * 1024 * 1024, 3);
      writeFileSync(join(dir, "up.bin"), body);
      const curl = Bun.spawn([
        "curl", "-sS", "-v", "--max-time", "20", "--data-binary", `@${join(dir, "up.bin")}`, "-H", "Content-Type: application/octet-stream",
        "-o", join(dir, "down.bin"), "-w", "%{http_code}", `http://127.0.0.1:${port}/echo`,
      ], { stdout: "pipe", stderr: "pipe" });
      const [code, out, err] = await Promise.all([curl.exited, Bun.readableStreamToText(curl.stdout as ReadableStream), Bun.readableStreamToText(curl.stderr as ReadableStream)]);
      expect(code).toBe(0);
      expect(err).not.toContain("curl: (");
      expect(err).toContain("Expect: 100-continue");
      expect(err).toContain("< HTTP/1.1 100 Continue");
      expect(out).toBe("200");
      const down = await Bun.file(join(dir, "down.bin")).bytes();
      expect(down.length).toBe(body.length);
      expect(sha256(down)).toBe(sha256(body));
      expect(gotBytes).toBe(body.length);
      expect(got).toBe(sha256(body));
      proxyHealthy();
    }, TIMEOUT);

    test("trailers: a chunked request's trailers reach the server; a response's trailers reach the client, chunked", async () => {
      let seen: { body: string; sha: string; trailers: Record<string, unknown> } | undefined;
      const be = await h2((stream) => {
        const parts: Buffer[] = [];
        let trailers: Record<string, unknown> = {};
        stream.on("trailers", (t: Record<string, unknown>) => (trailers = t));
        stream.on("data", (d: Buffer) => parts.push(d));
        stream.on("end", () => {
          // 'trailers' comes before 'end' when the request had them.
          seen = { body: Buffer.concat(parts).toString("latin1"), sha: sha256(Buffer.concat(parts)), trailers };
          stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "x-sum": "42", "x-count": String(parts.length) }));
          stream.end(`got ${Buffer.concat(parts).length} bytes\n`);
        });
      });
      const port = await sluice(be.port, "always");
      const [c] = await connect(port);
      const r = await within(5000, "trailers reply", c!.request("/trailers", {
        method: "POST",
        headers: { TE: "trailers" },
        chunks: ["abc", "defg", patterned(40000)],
        trailers: { "X-Req-Sum": "7", "X-Req-Note": "last" },
      }));
      expect(seen?.body.length).toBe(7 + 40000);
      expect(seen?.body.slice(0, 7)).toBe("abcdefg");
      expect(seen?.sha).toBe(sha256(Buffer.concat([Buffer.from("abcdefg"), patterned(40000)])));
      expect(seen?.trailers["x-req-sum"]).toBe("7");
      expect(seen?.trailers["x-req-note"]).toBe("last");
      expect(r.status).toBe(200);
      expect(r.chunked).toBe(true);
      expect(r.body.toString()).toBe(`got ${7 + 40000} bytes\n`);
      expect(r.trailers).toContainEqual(["x-sum", "42"]);
      expect(r.trailers.find(([n]) => n === "x-count")).toBeDefined();
      // The connection stays usable after a response with trailers.
      const again = await within(5000, "request after trailers", c!.request("/trailers", { method: "POST", body: "xy" }));
      expect(again.body.toString()).toBe("got 2 bytes\n");
      expect(again.trailers).toContainEqual(["x-sum", "42"]);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 4. RST_STREAM, REFUSED_STREAM ----

    test("a server RST_STREAM: that client gets 502 (or is cut once its response began); streams beside it on the same connection complete", async () => {
      const srv = await bare((s) => {
        if (s.path === "/reset") return s.reset(ErrorCode.INTERNAL_ERROR);
        if (s.path === "/reset-started") {
          s.headers([[":status", "200"], ["content-type", "text/plain"]], false);
          s.data("partial ", false);
          setTimeout(() => s.reset(ErrorCode.INTERNAL_ERROR), 100);
          return;
        }
        answerOk(s, s.path.startsWith("/slow") ? 300 : 0);
      });
      const port = await sluice(srv.port, "always");
      const cs = await connect(port, 8);
      // One connection to the server first, so that every stream below shares it.
      expect((await within(5000, "warm-up", cs[0]!.request("/warm"))).status).toBe(200);
      const slow = cs.slice(2, 8).map((c, i) => c.request(`/slow/${i}`));
      await sleep(50);
      const reset = cs[0]!.request("/reset");
      const started = cs[1]!.request("/reset-started").then(() => "complete", (e: Error) => e.message);
      const failed = await within(5000, "the reset stream's answer", reset);
      expect(failed.status).toBe(502);
      // The request was read whole: the client's connection stays (HAProxy's), used again below.
      expect(failed.headers.connection).toBeUndefined();
      expect(await within(5000, "the started stream's cut", started)).toContain("without a complete response");
      // It had the head and the first bytes, then the connection was cut.
      expect(cs[1]!.bodyBytes).toBe("partial ".length);
      expect(cs[1]!.ended).toBe(true);
      const slowReplies = await within(5000, "the streams beside", Promise.all(slow));
      slowReplies.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.body.toString()).toBe(`ok /slow/${i}\n`);
      });
      expect(srv.connections).toBe(1);
      expect(srv.streams.length).toBe(9);
      expect(new Set(srv.streams.map((s) => s.conn))).toEqual(new Set([1]));
      // The connection to the server goes on carrying streams.
      const [next] = await connect(port);
      expect((await within(5000, "after the 502", next!.request("/after"))).status).toBe(200);
      expect(srv.connections).toBe(1);
      expect(srv.streams.at(-1)!.conn).toBe(1);
      expect((await within(5000, "the same client after its 502", cs[0]!.request("/again"))).status).toBe(200);
      proxyHealthy();
    }, TIMEOUT);

    test("REFUSED_STREAM: the request is sent again on another connection and succeeds", async () => {
      let refused = 0;
      const srv = await bare((s) => {
        if (refused === 0) {
          refused++;
          return s.reset(ErrorCode.REFUSED_STREAM);
        }
        answerOk(s);
      });
      const port = await sluice(srv.port, "always");
      const [c] = await connect(port);
      const r = await within(5000, "the refused request", c!.request("/once"));
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe("ok /once\n");
      expect(srv.streams.map((s) => [s.conn, s.path])).toEqual([[1, "/once"], [2, "/once"]]);
      proxyHealthy();
    }, TIMEOUT);

    test("a client that goes away cancels its own stream only (RST_STREAM CANCEL, before or during the response); the streams beside it complete", async () => {
      const srv = await bare((s) => {
        if (s.path === "/hold-silent") return; // never answered
        if (s.path === "/ticks") {
          // A long response in pieces (server-sent events), until the stream is reset.
          s.headers([[":status", "200"], ["content-type", "text/event-stream"]], false);
          const timer = setInterval(() => {
            if (srv.resets.some((r) => r.id === s.id)) return clearInterval(timer);
            s.data("data: tick\n\n", false);
          }, 20);
          return;
        }
        answerOk(s, s.path.startsWith("/slow") ? 300 : 0);
      });
      const port = await sluice(srv.port, "always");
      const cs = await connect(port, 6);
      expect((await within(5000, "warm-up", cs[0]!.request("/warm"))).status).toBe(200);
      const slow = cs.slice(2, 6).map((c, i) => c.request(`/slow/${i}`));
      void cs[0]!.request("/hold-silent").catch(() => {});
      void cs[1]!.request("/ticks").catch(() => {});
      await waitFor(() => srv.streams.length === 7 && cs[1]!.bodyBytes > 0, 5000, "every request at the server, ticks at their client");
      const silent = srv.streams.find((s) => s.path === "/hold-silent")!;
      const ticks = srv.streams.find((s) => s.path === "/ticks")!;
      // One client resets its connection before any answer; the other closes it (FIN) mid-response.
      cs[0]!.reset();
      cs[1]!.close();
      await waitFor(() => srv.resets.length === 2, 5000, "two RST_STREAM at the server");
      expect(srv.resets.map((r) => [r.conn, r.id, r.code]).sort()).toEqual(
        [[1, silent.id, ErrorCode.CANCEL], [1, ticks.id, ErrorCode.CANCEL]].sort(),
      );
      const slowReplies = await within(5000, "the streams beside", Promise.all(slow));
      slowReplies.forEach((r, i) => expect(r.body.toString()).toBe(`ok /slow/${i}\n`));
      // Nothing else was reset, and the same connection carries the next stream.
      const [next] = await connect(port);
      expect((await within(5000, "after the cancels", next!.request("/after"))).body.toString()).toBe("ok /after\n");
      expect(srv.resets.length).toBe(2);
      expect(srv.connections).toBe(1);
      expect(srv.closed).toBe(0);
      expect(srv.streams.at(-1)!.conn).toBe(1);
      proxyHealthy();
    }, TIMEOUT);

    test("what cannot go to an HTTP/2 server is answered by sluice, never sent: 431 above the server's SETTINGS_MAX_HEADER_LIST_SIZE, 501 for CONNECT; the connection serves the next request", async () => {
      const srv = await bare((s) => {
        answerOk(s);
      }, { settings: [[SettingId.MAX_HEADER_LIST_SIZE, 1024]] });
      const port = await sluice(srv.port, "always");
      const [c] = await connect(port);
      expect((await within(5000, "warm-up (the server's SETTINGS are in)", c!.request("/warm"))).status).toBe(200);
      const big = await within(5000, "the oversized request", c!.request("/big", { headers: { "x-big": "b".repeat(2000) } }));
      expect(big.status).toBe(431);
      const [tunnel] = await connect(port);
      const connect501 = await within(5000, "CONNECT", tunnel!.request("test:443", { method: "CONNECT" }));
      expect(connect501.status).toBe(501);
      const [next] = await connect(port);
      expect((await within(5000, "after the 431", next!.request("/after"))).body.toString()).toBe("ok /after\n");
      expect(srv.streams.map((s) => s.path)).toEqual(["/warm", "/after"]);
      expect(srv.connections).toBe(1);
      proxyHealthy();
    }, TIMEOUT);

    test("1xx, PRIORITY and header list limits: a 103 is relayed before its 200; PRIORITY frames change nothing; a header list above 64 KiB resets that stream only (502)", async () => {
      const srv = await bare((s) => {
        if (s.path === "/early") {
          s.headers([[":status", "103"], ["link", "</style.css>; rel=preload"]], false);
        }
        if (s.path === "/huge") {
          // Huffman makes this a ~44 KiB block (under the frame reader's limit); decoded it is 70 KB: above SETTINGS_MAX_HEADER_LIST_SIZE.
          s.headers([[":status", "200"], ["x-huge", "a".repeat(70000)], ["content-length", "3"]], false);
          s.data("ok\n", true);
          return;
        }
        // PRIORITY on this stream and on one never opened: both ignored (RFC 9113 §5.3.2, §6.3).
        s.raw(write.priority(s.id, { exclusive: false, dependency: 0, weight: 200 }));
        s.raw(write.priority(s.id + 100, { exclusive: true, dependency: s.id, weight: 1 }));
        answerOk(s);
      });
      const port = await sluice(srv.port, "always");
      const [c] = await connect(port);
      const early = await within(5000, "the 103 then 200", c!.request("/early"));
      expect(early.interim).toEqual([{ status: 103, all: [["link", "</style.css>; rel=preload"]] }]);
      expect(early.status).toBe(200);
      expect(early.body.toString()).toBe("ok /early\n");
      const plain = await within(5000, "a plain answer", c!.request("/plain"));
      expect(plain.interim).toEqual([]);
      expect(plain.body.toString()).toBe("ok /plain\n");
      const huge = await within(5000, "the oversized header list", c!.request("/huge"));
      expect(huge.status).toBe(502);
      // The connection to the server carries on: the same one answers next.
      const [next] = await connect(port);
      expect((await within(5000, "after the 502", next!.request("/after"))).body.toString()).toBe("ok /after\n");
      expect(srv.connections).toBe(1);
      expect(srv.streams.map((s) => s.path)).toEqual(["/early", "/plain", "/huge", "/after"]);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 5. GOAWAY under load ----

    test("GOAWAY mid-load: 20 clients looping GETs see no failure; new streams go to a new connection", async () => {
      let goawayAt = 0;
      let goawayTime = 0;
      const be = await h2((stream, headers, session) => {
        stream.on("data", () => {});
        const nonce = String(headers["x-nonce"]);
        setTimeout(() => {
          if (stream.destroyed || stream.closed) return;
          stream.respond({ ":status": 200, "x-nonce": nonce, "x-session": String(session.id) });
          stream.end(`nonce ${nonce} session ${session.id}\n`);
        }, 2 + Math.floor(Math.random() * 8));
        if (session.id === 1 && session.streams === 200 && goawayAt === 0) {
          // Streams up to this one are processed; later ones were not.
          goawayAt = session.lastStreamId;
          goawayTime = Date.now();
          session.session.goaway(http2.constants.NGHTTP2_NO_ERROR, goawayAt);
          // Closes once its streams are done.
          session.session.close();
        }
      });
      const port = await sluice(be.port, "always");
      const cs = await connect(port, 20);
      let ok = 0;
      const failures: string[] = [];
      const deadline = Date.now() + 15000;
      await Promise.all(cs.map(async (c, i) => {
        for (let j = 0; ; j++) {
          if (Date.now() > deadline) break;
          if (goawayTime !== 0 && Date.now() > goawayTime + 500) break;
          const nonce = `g${i}-${j}`;
          try {
            const r = await within(5000, nonce, c.request(`/g/${i}/${j}`, { headers: { "x-nonce": nonce } }));
            if (r.status !== 200 || r.headers["x-nonce"] !== nonce) failures.push(`${nonce}: ${r.status} ${r.headers["x-nonce"]}`);
            else ok++;
          } catch (e) {
            failures.push(`${nonce}: ${(e as Error).message}`);
            break;
          }
        }
      }));
      expect(goawayAt).toBeGreaterThan(0);
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(200);
      // The first connection closed after its streams; later streams went to new ones.
      await waitFor(() => be.sessions[0]!.closed, 5000, "the first connection to close");
      expect(be.sessions.length).toBeGreaterThanOrEqual(2);
      const later = be.sessions.slice(1).reduce((n, s) => n + s.streams, 0);
      expect(later).toBeGreaterThan(0);
      // Every answered request was answered once: sluice's successes ≤ the streams the server processed.
      expect(ok).toBeLessThanOrEqual(be.sessions.reduce((n, s) => n + s.streams, 0));
      proxyHealthy();
    }, TIMEOUT);

    // ---- 6. SETTINGS_MAX_CONCURRENT_STREAMS 1 ----

    test("a server allowing 1 concurrent stream: 10 concurrent clients are all answered, never 2 streams at once on a connection", async () => {
      const be = await h2(nonceHandler(() => 100), { maxConcurrentStreams: 1 });
      const port = await sluice(be.port, "always");
      const cs = await connect(port, 10);
      for (let round = 0; round < 2; round++) {
        const replies = await within(15000, `round ${round}`, Promise.all(cs.map((c, i) => c.request(`/m/${i}`, { headers: { "x-nonce": `m${i}-${round}` } }))));
        replies.forEach((r, i) => expectNonce(r, `m${i}-${round}`));
      }
      for (const s of be.sessions) expect(s.maxActive).toBe(1);
      expect(be.sessions.reduce((n, s) => n + s.streams, 0)).toBe(20);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 7. flow control ----

    test("flow control: a client reading its 8 MiB slowly holds back its own stream only; then it completes byte-exact", async () => {
      const big = patterned(8 * 1024 * 1024, 7);
      /** Bytes of the big body the server's stream took so far (its writes wait for window). */
      let sent = 0;
      const be = await h2((stream, headers, session) => {
        stream.on("data", () => {});
        if (headers[":path"] === "/big") {
          stream.respond({ ":status": 200, "content-length": String(big.length), "x-session": String(session.id) });
          const pump = () => {
            while (sent < big.length) {
              const chunk = big.subarray(sent, sent + 65536);
              sent += chunk.length;
              if (!stream.write(chunk)) return void stream.once("drain", pump);
            }
            stream.end();
          };
          pump();
          return;
        }
        nonceHandler()(stream, headers, session);
      });
      const port = await sluice(be.port, "always");
      const cs = await connect(port, 11);
      const slow = cs[0]!;
      expect((await within(5000, "warm-up", slow.request("/warm", { headers: { "x-nonce": "w" } }))).status).toBe(200);
      expect(be.sessions.length).toBe(1);
      slow.pause();
      const bigReply = slow.request("/big");
      // The pipes between the server and the paused client fill up, then the big stream stalls.
      // Stalled: no progress for 300 ms.
      const stallDeadline = Date.now() + 5000;
      for (let last = -1, still = 0; still < 3; await sleep(100)) {
        if (Date.now() > stallDeadline) throw new Error(`the big stream never stalled (${sent} bytes sent)`);
        still = sent === last ? still + 1 : 0;
        last = sent;
      }
      const stalledAt = sent;
      if (process.env.H2_TEST_VERBOSE) console.log(`big stream stalled at ${stalledAt} bytes`);
      expect(stalledAt).toBeLessThan(big.length);
      const t0 = Date.now();
      for (let round = 0; round < 3; round++) {
        const replies = await within(5000, `others, round ${round}`, Promise.all(cs.slice(1).map((c, i) => c.request(`/o/${i}`, { headers: { "x-nonce": `o${i}-${round}` } }))));
        // Every one on the same connection as the slow stream.
        replies.forEach((r, i) => expect(expectNonce(r, `o${i}-${round}`)).toBe(1));
      }
      expect(Date.now() - t0).toBeLessThan(3000);
      // The slow stream did not move meanwhile: the server could not send it more.
      expect(sent).toBe(stalledAt);
      expect(be.sessions.length).toBe(1);
      slow.resume();
      const r = await within(15000, "the 8 MiB response", bigReply);
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(big.length);
      expect(sha256(r.body)).toBe(sha256(big));
      expect(sent).toBe(big.length);
      expect(be.sessions.length).toBe(1);
      proxyHealthy();
    }, TIMEOUT);

    // ---- 8. invariant 5: NTLM over HTTP/2 ----

    test("invariant 5 (always): a 401 WWW-Authenticate: NTLM is relayed unchanged; the connection keeps multiplexing other sessions' streams", async () => {
      const challenge = "NTLM TlRMTVNTUAACAAAADAAMADAAAAA1goriASNFZ4mrze8AAAAAAAAAAGIAYgA8AAAARABPAE0AQQBJAE4=";
      const be = await h2((stream, headers, session) => {
        stream.on("data", () => {});
        if (String(headers[":path"]).startsWith("/auth")) {
          stream.respond({ ":status": 401, "www-authenticate": [challenge, "Negotiate"], "x-session": String(session.id), "content-type": "text/plain" });
          stream.end("challenge\n");
          return;
        }
        nonceHandler((path) => (path.startsWith("/slow") ? 300 : 0))(stream, headers, session);
      });
      const port = await sluice(be.port, "always");
      const cs = await connect(port, 10);
      const a = cs[0]!;
      expect(expectNonce(await within(5000, "warm-up", a.request("/warm", { headers: { "x-nonce": "w" } })), "w")).toBe(1);
      // Streams of other sessions in flight on that connection while the 401 goes by.
      const inFlight = cs.slice(1, 5).map((c, i) => c.request(`/slow/${i}`, { headers: { "x-nonce": `s${i}` } }));
      await sleep(50);
      const auth = await within(5000, "the 401", a.request("/auth", { headers: { Authorization: "NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=" } }));
      expect(auth.status).toBe(401);
      expect(auth.all.filter(([n]) => n === "www-authenticate").map(([, v]) => v)).toEqual([challenge, "Negotiate"]);
      expect(auth.body.toString()).toBe("challenge\n");
      expect(auth.headers["x-session"]).toBe("1");
      (await within(5000, "streams in flight", Promise.all(inFlight))).forEach((r, i) => expect(expectNonce(r, `s${i}`)).toBe(1));
      // The connection stays shared: the challenged session and every other one go on using it, at once.
      for (let round = 0; round < 2; round++) {
        const replies = await within(5000, `round ${round}`, Promise.all(cs.map((c, i) => c.request(`/slow/${i}/${round}`, { headers: { "x-nonce": `r${i}-${round}` } }))));
        replies.forEach((r, i) => expect(expectNonce(r, `r${i}-${round}`)).toBe(1));
      }
      expect(be.sessions.length).toBe(1);
      expect(be.sessions[0]!.maxActive).toBeGreaterThanOrEqual(10);
      // Another challenge on a connection now carrying other streams changes nothing either.
      const again = cs.map((c, i) => c.request(i === 0 ? "/auth/2" : `/slow/x${i}`, { headers: { "x-nonce": `x${i}` } }));
      const all = await within(5000, "second challenge", Promise.all(again));
      expect(all[0]!.status).toBe(401);
      all.slice(1).forEach((r, i) => expect(expectNonce(r, `x${i + 1}`)).toBe(1));
      expect(be.sessions.length).toBe(1);
      proxyHealthy();
    }, TIMEOUT);

    test("invariant 5 (safe): a 401 NTLM over HTTP/2 is relayed; the connection stays with the session while it is active, never shared at once", async () => {
      const challenge = "NTLM TlRMTVNTUAACAAAADAAMADAAAAA1goriASNFZ4mrze8AAAAAAAAAAGIAYgA8AAAARABPAE0AQQBJAE4=";
      const be = await h2((stream, headers, session) => {
        stream.on("data", () => {});
        if (String(headers[":path"]).startsWith("/auth")) {
          stream.respond({ ":status": 401, "www-authenticate": challenge, "x-session": String(session.id) });
          stream.end("challenge\n");
          return;
        }
        nonceHandler((path) => (path.startsWith("/slow") ? 300 : 0))(stream, headers, session);
      });
      const port = await sluice(be.port, "safe");
      const cs = await connect(port, 5);
      const a = cs[0]!;
      // Five sessions active at once: five connections.
      const first = await within(5000, "first round", Promise.all(cs.map((c, i) => c.request(`/slow/${i}`, { headers: { "x-nonce": `f${i}` } }))));
      expect(new Set(first.map((r, i) => expectNonce(r, `f${i}`))).size).toBe(5);
      // The four others hold four of them; the challenged session gets the fifth, and keeps it for its next request.
      const others = cs.slice(1).map((c, i) => c.request(`/slow/${i}/2`, { headers: { "x-nonce": `o${i}` } }));
      await sleep(50);
      const auth = await within(5000, "the 401", a.request("/auth", { headers: { Authorization: "NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=" } }));
      expect(auth.status).toBe(401);
      expect(auth.headers["www-authenticate"]).toBe(challenge);
      const next = expectNonce(await within(5000, "after the 401", a.request("/next", { headers: { "x-nonce": "n" } })), "n");
      expect(next).toBe(Number(auth.headers["x-session"]));
      const held = (await within(5000, "the others", Promise.all(others))).map((r, i) => expectNonce(r, `o${i}`));
      expect(held).not.toContain(next);
      expect(be.sessions.length).toBe(5);
      for (const s of be.sessions) expect(s.maxActive).toBe(1);
      proxyHealthy();
    }, TIMEOUT);
  });
}
