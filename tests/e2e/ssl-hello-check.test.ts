// `option ssl-hello-chk` beside HAProxy 2.6 on the same haproxy.cfg: the
// check sends a TLS ClientHello and wants a TLS record back. Real peers:
// `openssl s_server` with an RSA and an ECDSA certificate (a ServerHello:
// L6OK), nginx speaking plain HTTP (its 400 page: L6RSP), a server that
// closes at once (L6RSP, "TCPCHK got an empty response at step 2"), one that
// never answers (L6TOUT), a closed port (L4CON). Compared: each server's
// status and check_status in `show stat` ("* " before it while a check
// runs, as HAProxy), and the reasons the DOWN lines give.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { TestPki } from "../support/certs.ts";
import { freePort, sleep, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { socat } from "./runtime-socket.ts";

const procs: ReturnType<typeof Bun.spawn>[] = [];
const servers: net.Server[] = [];
const held: net.Socket[] = [];
const ports = { rsa: 0, ec: 0, http: 0, closes: 0, silent: 0, refused: 0 };

async function listening(port: number): Promise<void> {
  const end = Date.now() + 10000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
    await sleep(30);
  }
}

async function tcpServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  const pki = new TestPki();
  for (const [name, key] of [["rsa", "rsa"], ["ec", "ec"]] as const) {
    const leaf = pki.leaf(`hello-${name}`, { names: [`${name}.test`], key });
    ports[name] = await freePort();
    procs.push(Bun.spawn(["openssl", "s_server", "-quiet", "-accept", `127.0.0.1:${ports[name]}`, "-cert", leaf.cert, "-key", leaf.key, "-www"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }));
  }
  const dir = tempDir();
  ports.http = await freePort();
  writeFileSync(join(dir, "nginx.conf"), `daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {}
http { access_log off; client_body_temp_path ${dir}; server { listen 127.0.0.1:${ports.http}; return 200 ok; } }
`);
  procs.push(Bun.spawn(["nginx", "-c", join(dir, "nginx.conf"), "-p", dir], { stdin: "ignore", stdout: "ignore", stderr: "ignore" }));
  // Reads the hello, then closes (a FIN: HAProxy's "empty response").
  ports.closes = await tcpServer((s) => {
    s.on("error", () => {});
    s.once("data", () => s.end());
  });
  ports.silent = await tcpServer((s) => {
    held.push(s);
    s.on("error", () => {});
  });
  ports.refused = await freePort();
  await Promise.all([listening(ports.rsa), listening(ports.ec), listening(ports.http)]);
}, 60000);

afterAll(() => {
  for (const p of procs) p.kill();
  for (const s of held) s.destroy();
  for (const s of servers) s.close();
});

describe("option ssl-hello-chk against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: a TLS record back passes (L6OK), anything else fails with HAProxy's reason`, async () => {
      const sock = join(tempDir(), "admin.sock");
      const port = await freePort();
      const running = await proxy.start(`global
    stats socket ${sock} level admin
    log stderr format raw local0
defaults
    mode tcp
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
backend tls_servers
    option ssl-hello-chk
    server rsa 127.0.0.1:${ports.rsa} check inter 300 fall 1 rise 1
    server ec 127.0.0.1:${ports.ec} check inter 300 fall 1 rise 1
    server http 127.0.0.1:${ports.http} check inter 300 fall 1 rise 1
    server closes 127.0.0.1:${ports.closes} check inter 300 fall 1 rise 1
    server silent 127.0.0.1:${ports.silent} check inter 300 fall 1 rise 1
    server refused 127.0.0.1:${ports.refused} check inter 300 fall 1 rise 1
frontend fe
    bind 127.0.0.1:${port}
    default_backend tls_servers
`, [port]);
      try {
        // Every server checked at least once, the silent one's 300 ms run out.
        const rows = async () => {
          const lines = (await socat(sock, "show stat")).split("\n");
          const head = lines[0]!.replace(/^# /, "").split(",");
          const at = (name: string) => head.indexOf(name);
          return lines.slice(1).filter((l) => l.startsWith("tls_servers,") && !l.includes(",BACKEND,")).map((l) => {
            const f = l.split(",");
            return `${f[at("svname")]} ${f[at("status")]} ${f[at("check_status")]}`;
          });
        };
        // A check in progress shows "* " before the last status (the silent server's is, most of the time).
        let seen: string[] = [];
        let inProgress = "";
        const end = Date.now() + 8000;
        while (Date.now() < end) {
          const now = await rows();
          inProgress ||= now.find((r) => r.startsWith("silent DOWN * ")) ?? "";
          seen = now.map((r) => r.replace(" * ", " "));
          if (inProgress !== "" && seen.length === 6 && seen.every((r) => / (L4|L6)[A-Z]+$/.test(r))) break;
          await sleep(100);
        }
        expect(seen).toEqual(["rsa UP L6OK", "ec UP L6OK", "http DOWN L6RSP", "closes DOWN L6RSP", "silent DOWN L6TOUT", "refused DOWN L4CON"]);
        expect(inProgress).toBe("silent DOWN * L6TOUT");
        const reasons = running.errLines()
          .map((l) => /Server tls_servers\/(\w+) is DOWN, reason: ([^,]+)(, info: "[^"]*")?/.exec(l))
          .filter((m) => m !== null)
          .map((m) => `${m![1]}: ${m![2]}${m![3] ?? ""}`)
          .sort();
        expect([...new Set(reasons)]).toEqual([
          "closes: Layer6 invalid response, info: \"TCPCHK got an empty response at step 2\"",
          "http: Layer6 invalid response",
          "refused: Layer4 connection problem, info: \"Connection refused\"",
          "silent: Layer6 timeout",
        ]);
        expectSameAsHaproxy(answers, proxy.name, { seen, reasons: [...new Set(reasons)] });
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
