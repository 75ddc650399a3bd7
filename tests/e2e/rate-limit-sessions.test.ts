// `rate-limit sessions N` beside HAProxy 2.6 on the same haproxy.cfg: a
// burst of connections gets N sessions at once and the rest as the rate
// (HAProxy's one-second freq_ctr) allows, none refused; `show stat` gives
// the limit in rate_lim. HAProxy leaves the waiting connections in the
// kernel's backlog; sluice accepts them and leaves them unread, as past
// maxconn (docs/configuration.md): the client sees the same.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

const BURST = 12;
const LIMIT = 5;

/** When each of a burst of connections got its answer, ms after the burst began. */
async function burst(port: number): Promise<number[]> {
  const t0 = performance.now();
  const times = await Promise.all(
    Array.from({ length: BURST }, async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
      await r.text();
      return r.status === 200 ? performance.now() - t0 : -1;
    }),
  );
  return times.sort((a, b) => a - b);
}

describe("global maxsessrate and maxconnrate against HAProxy 2.6, and set rate-limit", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the process's rates hold a burst back as the frontend's does; the runtime API moves them`, async () => {
      const port = await freePort();
      const socket = join(tempDir(), "stats.sock");
      const running = await proxy.start(`
global
    nbthread 1
    stats socket ${socket} level admin
    maxsessrate ${LIMIT}
    maxconnrate 50
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend f
    bind 127.0.0.1:${port}
    http-request return status 200
`, [port]);
      try {
        await new Promise((r) => setTimeout(r, 2100));
        const info = async () => {
          const text = await ask(socket, "show info");
          const field = (n: string) => new RegExp(`^${n}: (.*)$`, "m").exec(text)?.[1];
          return `${field("ConnRateLimit")} ${field("SessRateLimit")}`;
        };
        const before = await info();
        const times = await burst(port);
        const answersOf = (cmd: string) => ask(socket, cmd);
        const replies = {
          none: await answersOf("set rate-limit"),
          missing: await answersOf("set rate-limit sessions global"),
          negative: await answersOf("set rate-limit sessions global -1"),
          conn: await answersOf("set rate-limit connections global 7"),
          sess: await answersOf("set rate-limit sessions global 0"),
        };
        const seen = {
          before,
          after: await info(),
          answered: times.filter((t) => t >= 0).length,
          atOnce: times.filter((t) => t >= 0 && t < 600).length,
          lastAfterOneSecond: times[times.length - 1]! > 1000,
          replies,
        };
        expect(seen).toMatchObject({ before: `50 ${LIMIT}`, after: "7 0", answered: BURST, atOnce: LIMIT, lastAfterOneSecond: true });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});

describe("rate-limit sessions against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: ${LIMIT} sessions at once, the rest as the rate allows`, async () => {
      const port = await freePort();
      const socket = join(tempDir(), "stats.sock");
      const running = await proxy.start(`
global
    nbthread 1
    stats socket ${socket} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend f
    bind 127.0.0.1:${port}
    rate-limit sessions ${LIMIT}
    http-request return status 200
`, [port]);
      try {
        // The readiness probe's connection counted one session: let its second pass.
        await new Promise((r) => setTimeout(r, 2100));
        const times = await burst(port);
        const rateLim = (await ask(socket, "show stat")).split("\n").find((l) => l.startsWith("f,FRONTEND,"))!.split(",")[34];
        const seen = {
          answered: times.filter((t) => t >= 0).length,
          atOnce: times.filter((t) => t >= 0 && t < 600).length,
          // N more a second after the first second: the last ones wait well over a second.
          lastAfterOneSecond: times[times.length - 1]! > 1000,
          rateLim,
        };
        expect(seen).toEqual({ answered: BURST, atOnce: LIMIT, lastAfterOneSecond: true, rateLim: String(LIMIT) });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
