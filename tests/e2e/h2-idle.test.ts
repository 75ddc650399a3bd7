// Idle HTTP/2 server connections: PINGed for liveness (one that does not
// answer is closed before a request can be sent on it), and shut down with
// GOAWAY after pool-purge-delay. The real proxy under each target, a bare
// HTTP/2 server built from sluice's own frame layer, real sockets.
import { afterEach, describe, expect, test } from "bun:test";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";
import { bareH2Server, type BareServer } from "./h2-peers.ts";
import { H1Client } from "./ownership-peers.ts";

function config(port: number, serverPort: number, purge: string): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    http-reuse always
    server s 127.0.0.1:${serverPort} proto h2 pool-purge-delay ${purge}
`;
}

const ok = (s: { headers(f: [string, string][], e: boolean): void; data(b: string, e: boolean): void }) => {
  s.headers([[":status", "200"], ["content-length", "2"]], false);
  s.data("ok", true);
};

for (const target of selectedTargets()) {
  describe(`idle HTTP/2 server connections (${target.name})`, () => {
    let run: Run | undefined;
    let server: BareServer | undefined;
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      server?.close();
      server = undefined;
    });

    async function request(port: number, path: string): Promise<number> {
      const c = await H1Client.connect(port);
      try {
        return (await c.request(path)).status;
      } finally {
        c.close();
      }
    }

    test("after pool-purge-delay an idle connection gets GOAWAY and closes; the next request opens a new one", async () => {
      server = await bareH2Server(ok);
      const port = await freePort();
      run = await startSluice(target, config(port, server.port, "300ms"));
      expect(await request(port, "/1")).toBe(200);
      await waitFor(() => server!.goaways === 1 && server!.closed === 1, 3000, "GOAWAY and close of the idle connection");
      expect(await request(port, "/2")).toBe(200);
      expect(server.connections).toBe(2);
    }, 20000);

    test("an idle connection is PINGed; one whose PING goes unanswered is closed, and the next request does not use it", async () => {
      server = await bareH2Server(ok, { answerPings: false });
      const port = await freePort();
      run = await startSluice(target, config(port, server.port, "1s"));
      expect(await request(port, "/1")).toBe(200);
      await waitFor(() => server!.pings >= 1, 3000, "a PING on the idle connection");
      await waitFor(() => server!.closed === 1, 3000, "the silent connection to be closed");
      expect(server.goaways).toBe(0);
      expect(await request(port, "/2")).toBe(200);
      expect(server.connections).toBe(2);
      expect(run.errLines.filter((l) => l.includes("ownership violation"))).toEqual([]);
    }, 20000);

    test("a connection that answers its PING stays and is reused before the purge delay", async () => {
      server = await bareH2Server(ok);
      const port = await freePort();
      run = await startSluice(target, config(port, server.port, "3s"));
      expect(await request(port, "/1")).toBe(200);
      await waitFor(() => server!.pings >= 1, 4000, "a PING");
      expect(await request(port, "/2")).toBe(200);
      expect(server.connections).toBe(1);
      expect(server.closed).toBe(0);
    }, 20000);
  });
}
