// `option clitcpka`, `srvtcpka` (and `tcpka`, both): SO_KEEPALIVE on the
// client's and the server's connections, as HAProxy sets it, seen from the
// kernel (`ss -o` shows a keepalive timer on such a socket) for HAProxy and
// sluice alike; a proxy without the options leaves it off.
import { afterAll, describe, expect, test } from "bun:test";
import { type Backend, freePort, openClient, tcpBackend, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** The timer column `ss -o` shows for the established TCP sockets matching `filter`. */
function timers(filter: string): string[] {
  const r = Bun.spawnSync(["ss", "-tnoH", "state", "established", filter]);
  return r.stdout.toString().split("\n").filter(Boolean).map((l) => l.match(/timer:\((\w+)/)?.[1] ?? "none");
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("option tcpka", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: keep-alive on both sides with clitcpka and srvtcpka, on neither without`, async () => {
      const [ka, plain] = [await tcpBackend(() => {}), await tcpBackend(() => {})];
      backends.push(ka, plain);
      const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 30s",
        "    timeout server 30s",
        "listen ka",
        `    bind 127.0.0.1:${p1}`,
        "    option clitcpka",
        "    option srvtcpka",
        `    server s 127.0.0.1:${ka.port}`,
        "listen plain",
        `    bind 127.0.0.1:${p2}`,
        `    server s 127.0.0.1:${plain.port}`,
        "listen both",
        `    bind 127.0.0.1:${p3}`,
        "    option tcpka",
        `    server s 127.0.0.1:${ka.port}`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [p1, p2, p3]);
      try {
        // The start-up probes of the ports reached the servers too: let them go first.
        await waitFor(() => ka.accepted === 2 && plain.accepted === 1, 5000, "the probes' connections");
        for (const s of [...ka.sockets, ...plain.sockets]) s.destroy();
        await waitFor(() => timers(`( dport = :${ka.port} )`).length + timers(`( dport = :${plain.port} )`).length === 0, 5000, "the probes' connections to close");
        const clients = [await openClient(p1), await openClient(p2), await openClient(p3)];
        await waitFor(() => ka.sockets.size === 2 && plain.sockets.size === 1 && timers(`( dport = :${ka.port} )`).length === 2, 5000, `the proxy's connections to the servers (${ka.sockets.size}, ${plain.sockets.size})`);
        // The proxy's side of each client connection (source port = the listener's).
        expect([timers(`( sport = :${p1} )`), timers(`( sport = :${p2} )`), timers(`( sport = :${p3} )`)]).toEqual([["keepalive"], ["none"], ["keepalive"]]);
        // The proxy's side of each server connection (destination port = the server's).
        expect([timers(`( dport = :${ka.port} )`), timers(`( dport = :${plain.port} )`)]).toEqual([["keepalive", "keepalive"], ["none"]]);
        for (const c of clients) c.destroy();
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
