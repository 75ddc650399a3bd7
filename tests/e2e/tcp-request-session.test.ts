// `tcp-request session` rules beside HAProxy 2.6 on the same haproxy.cfg:
// they run once the connection is complete, after the PROXY header (they see
// the address it names, where `tcp-request connection` saw the real peer)
// and the TLS handshake (ssl_fc_sni), before any request; a reject closes
// the connection and counts in the frontend's dses, not in its sessions
// (stot); `sess.` variables they set are read by every request of the
// connection, HTTP/1.1 and HTTP/2.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { join } from "node:path";
import { TestPki } from "../support/certs.ts";
import { freePort, sleep, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { socat } from "./runtime-socket.ts";

/** A raw HTTP/1.1 exchange from `localAddress` (optionally after `prefix`): the status line, or "closed" when the proxy closed first. */
function raw(port: number, localAddress: string, prefix = "", requests = 1): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", localAddress });
    let got = "";
    const done = () => {
      const lines = got.split(/\r?\n/).filter((l) => l.startsWith("HTTP/1.1 ") || l.startsWith("v="));
      resolve(lines.length === 0 ? "closed" : lines.join(" | "));
    };
    s.on("error", () => {});
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", done);
    s.on("connect", () => {
      let req = prefix;
      for (let i = 0; i < requests; i++) req += `GET /${i} HTTP/1.1\r\nhost: x\r\n${i === requests - 1 ? "connection: close\r\n" : ""}\r\n`;
      s.write(req);
    });
    setTimeout(() => s.destroy(), 4000);
  });
}

/** curl over TLS with SNI `name` (HTTP/1.1 or HTTP/2): the body, or "refused". */
async function curl(port: number, name: string, h2: boolean): Promise<string> {
  const proc = Bun.spawn(["curl", "-sk", "--max-time", "4", h2 ? "--http2" : "--http1.1", "--resolve", `${name}:${port}:127.0.0.1`, `https://${name}:${port}/`, "https://" + name + ":" + port + "/again"], { stdout: "pipe", stderr: "ignore" });
  const out = await new Response(proc.stdout).text();
  const code = await proc.exited;
  return code === 0 ? out : `refused ${out}`;
}

describe("tcp-request session against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  const pki = new TestPki();
  const leaf = pki.leaf("session-sni", { names: ["good.test", "blocked.test"] });
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: after the PROXY header and the handshake; rejects count in dses; sess variables reach each request`, async () => {
      const sock = join(tempDir(), "admin.sock");
      const [plain, proxied, tls] = [await freePort(), await freePort(), await freePort()];
      const reply = `http-request return status 200 content-type text/plain lf-string "v=%[var(sess.tag)]/%[var(sess.peer)]/%[var(sess.sni)] src=%[src]\\n"`;
      const running = await proxy.start(`global
    stats socket ${sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend plain
    bind 127.0.0.1:${plain}
    tcp-request connection set-var(sess.peer) src
    tcp-request session set-var(sess.tag) str(hello)
    tcp-request session reject if { src 127.0.0.2 }
    ${reply}
frontend proxied
    bind 127.0.0.1:${proxied} accept-proxy
    tcp-request connection set-var(sess.peer) src
    tcp-request session set-var(sess.tag) src
    tcp-request session reject if { src 10.9.9.9 }
    ${reply}
frontend tls
    bind 127.0.0.1:${tls} ssl crt ${leaf.pem} alpn h2,http/1.1
    tcp-request session set-var(sess.sni) ssl_fc_sni
    tcp-request session reject if { ssl_fc_sni -m str blocked.test }
    ${reply}
`, [plain, proxied, tls]);
      try {
        const seen: Record<string, unknown> = {
          plain: await raw(plain, "127.0.0.1", "", 2),
          rejected: await raw(plain, "127.0.0.2"),
          proxiedAllowed: await raw(proxied, "127.0.0.1", "PROXY TCP4 10.1.2.3 127.0.0.1 5555 80\r\n"),
          proxiedRejected: await raw(proxied, "127.0.0.1", "PROXY TCP4 10.9.9.9 127.0.0.1 5555 80\r\n"),
          h1: await curl(tls, "good.test", false),
          h2: await curl(tls, "good.test", true),
          blocked: (await curl(tls, "blocked.test", true)).startsWith("refused"),
        };
        await sleep(200);
        const stat = (await socat(sock, "show stat")).split("\n");
        const head = stat[0]!.replace(/^# /, "").split(",");
        for (const row of stat.slice(1).filter((l) => l.includes(",FRONTEND,"))) {
          const f = row.split(",");
          // conn_tot of the TLS frontend aside: the readiness probe, which closes without a ClientHello, is a failed
          // handshake for HAProxy and Bun at once, for Deno's node:tls (half-open connections allowed) only after timeout client.
          const columns = f[0] === "tls" ? ["stot", "dcon", "dses"] : ["stot", "conn_tot", "dcon", "dses"];
          seen[`stats ${f[0]}`] = columns.map((c) => `${c}=${f[head.indexOf(c)]}`).join(" ");
        }
        expect(seen.plain).toBe("HTTP/1.1 200 OK | v=hello/127.0.0.1/ src=127.0.0.1 | HTTP/1.1 200 OK | v=hello/127.0.0.1/ src=127.0.0.1");
        expect(seen.rejected).toBe("closed");
        // The connection rules saw the real peer; their variable stays the connection's past the header.
        expect(seen.proxiedAllowed).toBe("HTTP/1.1 200 OK | v=10.1.2.3/127.0.0.1/ src=10.1.2.3");
        expect(seen.proxiedRejected).toBe("closed");
        expect(seen.h2).toBe("v=//good.test src=127.0.0.1\nv=//good.test src=127.0.0.1\n");
        expect(seen.blocked).toBe(true);
        // (The readiness probe's connection is one more session.)
        expect(seen["stats plain"]).toBe("stot=2 conn_tot=3 dcon=0 dses=1");
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
