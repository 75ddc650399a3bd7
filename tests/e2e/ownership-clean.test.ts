// Invariant 10 of ../shared/docs/connection-ownership.md: a backend connection
// that failed, timed out, got a malformed or truncated response, had bytes
// left over after a response, or became a tunnel is never returned to a pool;
// TCP-mode connections are never pooled. The backend here is a raw TCP server
// (node:net) so that it can misbehave exactly; it numbers its connections.
import { afterEach, describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tcpBackend, waitFor } from "./harness.ts";
import { H1Client } from "./ownership-peers.ts";

interface RawBackend extends Backend {
  /** Ids (1, 2, …: the order of acceptance) of the connections that closed. */
  closedIds: number[];
}

/** Answers by path: /ok, /bad (two Content-Lengths), /truncated, /leftover (bytes after the body), /silent, /upgrade (101, then echo). */
async function rawBackend(): Promise<RawBackend> {
  const closedIds: number[] = [];
  const b = await tcpBackend((s) => {
    const id = b.accepted;
    s.on("close", () => closedIds.push(id));
    let buf = "";
    let tunnel = false;
    s.on("data", (d) => {
      if (tunnel) return void s.write(d);
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const path = buf.slice(0, end).split(" ")[1] ?? "/";
        buf = buf.slice(end + 4);
        const ok = (body: string) => `HTTP/1.1 200 OK\r\nx-conn-id: ${id}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
        if (path === "/ok") s.write(ok(`conn ${id}\n`));
        else if (path === "/bad") s.write(`HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello`);
        else if (path === "/truncated") {
          s.write(`HTTP/1.1 200 OK\r\nx-conn-id: ${id}\r\ncontent-length: 100\r\n\r\nonly this`);
          setTimeout(() => s.end(), 50);
        } else if (path === "/leftover") s.write(ok("ok") + "EXTRA BYTES");
        else if (path === "/upgrade") {
          s.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n`);
          tunnel = true;
          if (buf) s.write(buf);
          return;
        }
        // /silent: never answers
      }
    });
    s.on("end", () => s.end());
  });
  return Object.assign(b, { closedIds });
}

function config(port: number, backendPort: number, mode = "http"): string {
  return `global
    hard-stop-after 2s
defaults
    mode ${mode}
    timeout connect 2s
    timeout client 10s
    timeout server ${mode === "http" ? "500ms" : "10s"}
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
${mode === "http" ? "    http-reuse always\n    retries 0\n" : ""}    server s 127.0.0.1:${backendPort}
`;
}

/** A raw request on a connection of its own; resolves with everything received until close or quiet. */
function rawRequest(port: number, text: string, quietMs = 300): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(text));
    let got = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    s.on("data", (d) => {
      got += d.toString("latin1");
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    });
    s.on("close", done);
    s.on("error", done);
  });
}

for (const target of selectedTargets()) {
  describe(`invariant 10: unclean connections are never pooled (${target.name})`, () => {
    let run: Run | undefined;
    let backend: RawBackend | undefined;
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      await backend?.close();
      backend = undefined;
    });

    /** Under http-reuse always a later request would take any pooled connection: it must get a new one. */
    async function nextRequestGetsANewConnection(port: number, failedConn: number): Promise<void> {
      await waitFor(() => backend!.closedIds.includes(failedConn), 2000, `connection ${failedConn} closed by sluice`);
      const c = await H1Client.connect(port);
      try {
        const r = await c.request("/ok");
        expect(r.status).toBe(200);
        expect(Number(r.headers["x-conn-id"])).not.toBe(failedConn);
      } finally {
        c.close();
      }
    }

    test("a malformed response: 502, and its connection is closed", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const c = await H1Client.connect(port);
      expect((await c.request("/bad")).status).toBe(502);
      c.close();
      await nextRequestGetsANewConnection(port, 1);
      expect(backend.accepted).toBe(2);
    });

    test("a truncated response: the client is cut, the connection closed", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const got = await rawRequest(port, "GET /truncated HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(got).toContain("only this");
      await nextRequestGetsANewConnection(port, 1);
    });

    test("bytes left over after a response: the response is relayed, the connection is not kept", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const c = await H1Client.connect(port);
      const r = await c.request("/leftover");
      expect(r.status).toBe(200);
      expect(r.body).toBe("ok");
      c.close();
      await nextRequestGetsANewConnection(port, 1);
    });

    test("a server that times out: 504, and its connection is closed", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const c = await H1Client.connect(port);
      expect((await c.request("/silent")).status).toBe(504);
      c.close();
      await nextRequestGetsANewConnection(port, 1);
    });

    test("a connection that became a tunnel (101) is closed with it, never pooled", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const got = await rawRequest(port, "GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: echo\r\n\r\nping");
      expect(got).toContain("101 Switching Protocols");
      expect(got).toContain("ping");
      await nextRequestGetsANewConnection(port, 1);
    });

    test("a clean exchange is kept: the next client reuses it (http-reuse always)", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port));
      const a = await H1Client.connect(port);
      expect((await a.request("/ok")).headers["x-conn-id"]).toBe("1");
      a.close();
      await sleep(100);
      const b = await H1Client.connect(port);
      expect((await b.request("/ok")).headers["x-conn-id"]).toBe("1");
      b.close();
      expect(backend.accepted).toBe(1);
    });

    test("TCP mode: every client connection gets a server connection of its own, closed with it", async () => {
      backend = await rawBackend();
      const port = await freePort();
      run = await startSluice(target, config(port, backend.port, "tcp"));
      for (let i = 1; i <= 3; i++) {
        const got = await rawRequest(port, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 150);
        expect(got).toContain(`conn ${i}\n`);
        await waitFor(() => backend!.closedIds.includes(i), 2000, `server connection ${i} closed`);
      }
      expect(backend.accepted).toBe(3);
    });
  });
}
