// Stick tables and rate limits under master-worker (issue 16): each worker
// keeps its own tables (docs/master-worker.md says so and why), so a limit
// counts per worker. Shown with the exact count: a per-source limit of 5
// requests lets exactly 5 through on each worker that a client's keep-alive
// connections reach, and 429 after, over real sockets; which worker served a
// connection comes from the access log (%pid beside the client port %cp).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { freePort, openClient, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

const LIMIT = 5;
const PER_CONNECTION = 4;

/** Sends `n` requests one after another on one keep-alive connection; the statuses and the local port. */
async function keepAlive(port: number, n: number): Promise<{ localPort: number; statuses: number[] }> {
  const client = await openClient(port);
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    client.write("GET / HTTP/1.1\r\nhost: t\r\n\r\n");
    await waitFor(() => (client.received().match(/HTTP\/1\.1 \d{3} /g) ?? []).length > i, 5000, `answer ${i + 1}`);
  }
  for (const m of client.received().matchAll(/HTTP\/1\.1 (\d{3}) /g)) statuses.push(Number(m[1]));
  const localPort = client.localPort!;
  client.destroy();
  return { localPort, statuses };
}

for (const target of selectedTargets()) {
  describe(`stick tables per worker (${target.name})`, () => {
    let run: Run;
    let backend: ReturnType<typeof Bun.serve>;
    let port = 0;

    beforeAll(async () => {
      backend = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
      port = await freePort();
      run = await startSluice(target, `
global
    master-worker
    workers 2
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:${port}
    log stderr format raw
    log-format "served-by %pid %cp %ST"
    http-request track-sc0 src table per_src
    http-request deny deny_status 429 if { sc_http_req_cnt(0) gt ${LIMIT} }
    default_backend app
backend per_src
    stick-table type ip size 1k expire 60s store http_req_cnt
backend app
    server s1 127.0.0.1:${backend.port}
`);
    });

    afterAll(async () => {
      await stopSluice(run);
      backend.stop(true);
    });

    test(`a limit of ${LIMIT} requests per source lets exactly ${LIMIT} through on each worker`, async () => {
      const served = new Map<number, number[]>();
      // New connections until both workers served some (the kernel's hash picks; bounded).
      for (let i = 0; i < 24 && served.size < 2; i++) {
        const { localPort, statuses } = await keepAlive(port, PER_CONNECTION);
        await waitFor(() => run.errLines.some((l) => l.includes(` ${localPort} `)), 5000, "the connection's log lines");
        const pid = Number(/served-by (\d+) /.exec(run.errLines.find((l) => l.includes(` ${localPort} `))!)![1]);
        // One connection, one worker: every line of that client port names the same pid.
        const lines = run.errLines.filter((l) => new RegExp(`^served-by \\d+ ${localPort} `).test(l));
        expect(new Set(lines.map((l) => l.split(" ")[1])).size).toBe(1);
        served.set(pid, [...(served.get(pid) ?? []), ...statuses]);
      }
      expect(served.size).toBe(2);
      for (const [pid, statuses] of served) {
        // This worker's table counted only its own requests: the first LIMIT passed, every later one 429.
        const expected = statuses.map((_, i) => (i < LIMIT ? 200 : 429));
        expect({ pid, statuses }).toEqual({ pid, statuses: expected });
      }
    }, 60000);
  });
}
