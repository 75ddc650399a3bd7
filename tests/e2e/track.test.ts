// `server … track [BACKEND/]SERVER` beside HAProxy 2.6 on the same
// haproxy.cfg: b/s2 tracks b/s1 (checked) and c/s3 tracks b/s2. The
// trackers go DOWN and UP with s1's checks, into maintenance and drain with
// its runtime changes, down the chain, and their own changes stay theirs;
// the lines each proxy logs ("Server b/s2 is DOWN via b/s1. …"), `show stat`'s
// status and tracked columns, and where requests go are compared step by step.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import type net from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

/** The checked server's port: nothing listens there at first (its check fails), then this server does. */
let checked: http.Server | undefined;
const other = http.createServer((_req, res) => res.end("s2"));
afterAll(() => {
  other.close();
  checked?.close();
});

/** The proxy's "Server …" lines from `from` on, check durations left out (they vary). */
function serverLines(running: RunningProxy, from: number): string[] {
  return running
    .errLines()
    .slice(from)
    .filter((l) => l.startsWith("Server "))
    .map((l) => l.replace(/check duration: \d+ms/, "check duration: Nms"));
}

async function statusOf(socket: string): Promise<string[]> {
  const rows = (await ask(socket, "show stat")).split("\n").map((l) => l.split(","));
  return rows.filter((r) => ["s1", "s2", "s3"].includes(r[1] ?? "")).map((r) => `${r[0]}/${r[1]} ${r[17]} ${r[31]}`);
}

describe("track against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: trackers follow the checked server's health, maintenance and drain`, async () => {
      if (!other.listening) await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
      const checkedPort = await freePort();
      const [front, frontC] = [await freePort(), await freePort()];
      const socket = join(tempDir(), "stats.sock");
      const running = await proxy.start(`
global
    stats socket ${socket} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    log stderr format raw local0
    option dontlognull
frontend f
    bind 127.0.0.1:${front}
    default_backend b
frontend g
    bind 127.0.0.1:${frontC}
    default_backend c
backend b
    server s1 127.0.0.1:${checkedPort} check inter 150ms fall 1 rise 1
    server s2 127.0.0.1:${(other.address() as net.AddressInfo).port} track s1
backend c
    server s3 127.0.0.1:${(other.address() as net.AddressInfo).port} track b/s2
`, [front, frontC]);
      try {
        const steps: Record<string, unknown> = {};
        let mark = 0;
        const step = async (name: string, settle: () => boolean) => {
          await waitFor(settle, 5000, name);
          await sleep(150);
          const lines = serverLines(running, mark);
          mark = running.errLines().length;
          steps[name] = { lines, status: await statusOf(socket) };
        };
        const say = (line: string) => ask(socket, line);
        const has = (text: string) => () => running.errLines().slice(mark).some((l) => l.includes(text));

        // The checked server's first check fails: everything goes DOWN down the chain.
        await step("down", has("c/s3 is DOWN via b/s2"));
        const status = (await fetch(`http://127.0.0.1:${frontC}/`)).status;
        checked = http.createServer((_req, res) => res.end("s1")).listen(checkedPort, "127.0.0.1");
        await step("up", has("c/s3 is UP via b/s2"));
        const body = await (await fetch(`http://127.0.0.1:${frontC}/`)).text();
        await say("disable server b/s1");
        await step("maint", has("c/s3 is going DOWN for maintenance via b/s2"));
        await say("enable server b/s1");
        await step("ready", has("c/s3 is UP/READY (leaving maintenance)"));
        await say("set server b/s1 state drain");
        await step("drain", has("c/s3 enters drain state via b/s2"));
        await say("set server b/s1 state ready");
        await step("undrain", has("c/s3 is UP (leaving forced drain)"));
        await say("set server b/s2 state maint");
        await say("set server b/s1 state maint");
        await say("set server b/s2 state ready");
        await step("own maint under the tracked one's", has("b/s2 is leaving forced maintenance but remains in maintenance via b/s1"));
        await say("set server b/s1 state ready");
        await step("all back", has("c/s3 is UP/READY (leaving maintenance)"));
        const seen = { steps, whileDown: status, whileUp: body };
        expect(seen.whileDown).toBe(503);
        expect(seen.whileUp).toBe("s2");
        expect((steps.maint as { status: string[] }).status).toEqual(["b/s1 MAINT ", "b/s2 MAINT (via b/s1) b/s1", "c/s3 MAINT (via b/s2) b/s2"]);
        if (process.env.DEBUG_TRACK) console.log(JSON.stringify(seen, null, 1));
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
        checked?.close();
        checked = undefined;
      }
    }, 60000);
  }
});
