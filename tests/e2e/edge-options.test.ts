// The edge options real configs carry (issue 19, edgeopts), over real
// sockets: TLS settings on a server without `ssl` that only its checks use
// (OKD's external load balancer: `check-ssl verify none` in mode tcp);
// userlist hashes no password matches (dataplaneapi's userlists), next to
// HAProxy; zero-warning refusing a start; tune.ssl.default-dh-param, and
// what a client asking for DHE gets from each runtime; %[expr] in log-format.
import { afterEach, describe, expect, test } from "bun:test";
import { statSync, writeFileSync } from "node:fs";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { type Leaf, TestPki } from "../support/certs.ts";
import { freePort, type Run, selectedTargets, spawnSluice, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** An HTTPS server that names itself; `checks` counts its /readyz requests. */
async function namedHttps(name: string, leaf: Leaf) {
  const seen = { checks: 0 };
  const srv = https.createServer({ cert: leaf.certPem, key: leaf.keyPem, ALPNProtocols: ["http/1.1"] }, (req, res) => {
    if (req.url === "/readyz") {
      seen.checks++;
      return res.end("ok");
    }
    res.end(name);
  });
  srv.on("tlsClientError", () => {});
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { name, seen, port: (srv.address() as AddressInfo).port, close: () => srv.close() };
}

/** One HTTPS GET through a TLS-passthrough port: the body, or "" on error. */
async function getThrough(port: number): Promise<string> {
  return await new Promise((resolve) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/", agent: false, rejectUnauthorized: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", () => resolve(""));
  });
}

const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64");

/** What openssl s_client negotiates on `port` with `args` (-cipher ..., -tls1_2): the cipher, or "(NONE)". */
async function negotiated(port: number, args: string[]): Promise<{ cipher: string; tempKey: string }> {
  const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.end();
  const timer = setTimeout(() => proc.kill(), 5000);
  const text = (await new Response(proc.stdout).text()) + (await new Response(proc.stderr).text());
  clearTimeout(timer);
  return {
    cipher: /Cipher is (\S+)/.exec(text)?.[1] ?? "(no answer)",
    tempKey: /Server Temp Key: ([^\n]+)/.exec(text)?.[1] ?? "",
  };
}

// dataplaneapi-userlists.cfg's users: tiger's and neo's hashes are cut short, scott's password is clear.
const USERLIST = `userlist first
    user tiger password $6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91
    user neo password $6$k6y3o.eP$JlKBxxHSwRv6J.C0/D7cV91
    user scott insecure-password elgato
`;

describe("userlist hashes no password matches, next to HAProxy 2.6", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: accepted; tiger and neo never log in, whatever they send; scott does`, async () => {
      const port = await freePort();
      const running = await proxy.start(`defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
${USERLIST}frontend f
    bind 127.0.0.1:${port}
    http-request return status 200 if { http_auth(first) }
    http-request auth realm edge
`, [port]);
      try {
        const status = async (authorization: string) => {
          const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization } });
          await res.arrayBuffer();
          return res.status;
        };
        const tries: [string, string][] = [
          ["tiger", ""], ["tiger", "tiger"], ["tiger", "$6$k6y3o.eP$JlKBx9za9667qe4xHSwRv6J.C0/D7cV91"], ["tiger", "JlKBx9za9667qe4xHSwRv6J.C0/D7cV91"],
          ["neo", ""], ["neo", "neo"], ["neo", "$6$k6y3o.eP$JlKBxxHSwRv6J.C0/D7cV91"],
        ];
        for (const [user, password] of tries) expect({ user, password, status: await status(basic(user, password)) }).toEqual({ user, password, status: 401 });
        expect(await status(basic("scott", "elgato"))).toBe(200);
      } finally {
        await running.stop();
      }
    });
  }
});

/** Opens a connection and sends nothing: closes it at once, or waits for what the proxy does (its bytes, "" when it just closes). */
async function probe(port: number, wait: boolean): Promise<string> {
  return await new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("error", () => {});
    s.on("close", () => resolve(got));
    s.on("connect", () => {
      if (!wait) s.end();
    });
  });
}

describe("option http-ignore-probes, next to HAProxy 2.6", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: without it a silent connection gets 400 CR-- (half-closed) or 408 cR-- (timed out), answered and logged; with it, nothing`, async () => {
      const [plain, ignore] = [await freePort(), await freePort()];
      const running = await proxy.start(`global
    log stderr format raw local0
defaults
    mode http
    log global
    option httplog
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout http-request 500ms
frontend plain
    bind 127.0.0.1:${plain}
    http-request return status 200
frontend ignore
    bind 127.0.0.1:${ignore}
    option http-ignore-probes
    http-request return status 200
`, [plain, ignore]);
      try {
        const linesOf = (fe: string) => running.errLines().filter((l) => l.includes(`] ${fe} ${fe}/<NOSRV> `) && l.includes("<BADREQ>"));
        // The readiness probe of start() made one closed connection on each port: count from here.
        await waitFor(() => linesOf("plain").length >= 1, 5000, "the readiness probe's line");
        const before = linesOf("plain").length;
        // Half-closed at once: HAProxy still answers 400 before it closes.
        expect(await probe(plain, false)).toStartWith("HTTP/1.1 400 ");
        expect(await probe(plain, true)).toStartWith("HTTP/1.1 408 ");
        expect(await probe(ignore, false)).toBe("");
        expect(await probe(ignore, true)).toBe("");
        await (await fetch(`http://127.0.0.1:${ignore}/`)).text();
        await waitFor(() => linesOf("plain").length === before + 2, 5000, "plain's two lines");
        const lines = linesOf("plain").slice(before).map((l) => / (\d+) 0 - - (\S+) /.exec(l)?.slice(1).join(" "));
        expect(lines.sort()).toEqual(["400 CR--", "408 cR--"]);
        await waitFor(() => running.errLines().some((l) => l.includes("] ignore ignore/<NOSRV> ") && l.includes(" 200 ")), 5000, "ignore's request line");
        expect(linesOf("ignore")).toEqual([]);
      } finally {
        await running.stop();
      }
    });
  }
});

const HEAD = `defaults
    timeout connect 1s
    timeout client 5s
    timeout server 5s
`;

for (const target of selectedTargets()) {
  describe(`edge options (${target.name})`, () => {
    let run: Run | undefined;
    const closers: (() => unknown)[] = [];
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      for (const c of closers.splice(0)) await c();
    });
    const logged = (re: RegExp) => run!.errLines.filter((l) => re.test(l));

    test("check-ssl with verify on a server without ssl (OKD's LB): checks speak TLS with those settings, traffic passes through untouched", async () => {
      const pki = new TestPki();
      const a = await namedHttps("a", pki.leaf("a", { names: ["srv.test"], selfSigned: true }));
      const b = await namedHttps("b", pki.leaf("b", { names: ["srv.test"], selfSigned: true }));
      const c = await namedHttps("c", pki.leaf("c", { names: ["srv.test"] }));
      closers.push(a.close, b.close, c.close);
      const port = await freePort();
      run = await startSluice(target, `${HEAD}    mode tcp
listen api
    bind 127.0.0.1:${port}
    option httpchk GET /readyz HTTP/1.0
    http-check expect string ok
    default-server check inter 500ms fall 2 rise 1
    server a 127.0.0.1:${a.port} check-ssl verify none
    server b 127.0.0.1:${b.port} check-ssl verify required ca-file ${pki.caFile}
    server c 127.0.0.1:${c.port} check-ssl verify required ca-file ${pki.caFile}
`);
      // b's self-signed certificate does not verify against the CA: its checks fail the handshake.
      await waitFor(() => logged(/Server api\/b is DOWN/).length === 1, 5000, "b DOWN");
      expect(logged(/Server api\/b is DOWN/)[0]).toMatch(/reason: Layer6 invalid response, info: "SSL handshake failure/);
      // a (verify none) and c (signed by the CA) pass their checks over TLS: a plain check could not read /readyz.
      await waitFor(() => a.seen.checks >= 2 && c.seen.checks >= 2, 5000, "TLS checks of a and c");
      expect(logged(/Server api\/[ac] is DOWN/)).toEqual([]);
      // The traffic is not wrapped in TLS by sluice: the client's own TLS reaches a and c.
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add(await getThrough(port));
      expect([...bodies].sort()).toEqual(["a", "c"]);
    });

    test("zero-warning: a warning HAProxy also gives stops the start (exit 1, the warning, then why); a notice does not", async () => {
      const port = await freePort();
      const dir = tempDir();
      const file = join(dir, "zero.cfg");
      writeFileSync(file, `global
    zero-warning
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
frontend nowhere
    default_backend app
backend app
    server a 127.0.0.1:9
`);
      const refused = spawnSluice(target, ["-f", file]);
      expect(await refused.exited).toBe(1);
      expect(refused.errLines).toEqual([
        `warning: ${file}:11: frontend 'nowhere': no 'bind' directive: it listens nowhere. Please declare it as a backend if this was intended.`,
        `${file}:2: global: zero-warning: 1 warning was found (printed above) and 'zero-warning' is set: refusing the configuration, as HAProxy does`,
        "1 error in the configuration",
      ]);
      // Only a notice (HAProxy says nothing of a backend without servers): it starts and serves.
      run = await startSluice(target, `global
    zero-warning
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    default_backend app
    http-request return status 204
backend app
`);
      expect(run.errLines.some((l) => l.startsWith("notice: ") && l.includes("backend 'app': no server"))).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(204);
    });

    test("tune.ssl.default-dh-param: accepted, unused (a notice); a client asking for DHE only is refused, the others get ECDHE", async () => {
      const pki = new TestPki();
      const leaf = pki.leaf("edge", { names: ["localhost"], key: "rsa" });
      const port = await freePort();
      run = await startSluice(target, `global
    tune.ssl.default-dh-param 2048
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port} ssl crt ${leaf.pem}
    http-request return status 200
`);
      expect(run.errLines.some((l) => l.startsWith("notice: ") && l.includes("tune.ssl.default-dh-param 2048 sizes nothing"))).toBe(true);
      // HAProxy 2.6 (OpenSSL 3) answers this one with DHE-RSA-AES128-GCM-SHA256 and a 2048-bit DH key.
      expect((await negotiated(port, ["-cipher", "DHE-RSA-AES128-GCM-SHA256", "-tls1_2"])).cipher).toBe("(NONE)");
      const ecdhe = await negotiated(port, ["-cipher", "DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", "-tls1_2"]);
      expect(ecdhe.cipher).toBe("ECDHE-RSA-AES128-GCM-SHA256");
      expect(ecdhe.tempKey).toMatch(/^(X25519|ECDH)/);
    });

    test("log-format %[expr]: samples read when the line is written (variables set by rules, the request, the response); a frontend without rules too", async () => {
      const backend = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("hi", { headers: { "x-app": "Blue" } }) });
      closers.push(() => backend.stop(true));
      const ruled = await freePort();
      const bare = await freePort();
      run = await startSluice(target, `${HEAD}    mode http
    log-format '%ci [%tr] %ft %ST "%HM %[var(txn.base)] %HV" %[src] %{+Q}[req.hdr(host),lower] %[res.hdr(x-app)] %[var(txn.nope)] end'
frontend ruled
    bind 127.0.0.1:${ruled}
    http-request set-var(txn.base) base
    default_backend app
frontend bare
    bind 127.0.0.1:${bare}
    log-format "%ft %[src] %[dst_port] %[req.hdr(host)]"
    default_backend app
backend app
    server s 127.0.0.1:${backend.port}
`);
      await (await fetch(`http://127.0.0.1:${ruled}/path/x?q=1`, { headers: { host: "Example.COM" } })).text();
      await (await fetch(`http://127.0.0.1:${bare}/`, { headers: { host: "bare.test" } })).text();
      await waitFor(() => logged(/ end$/).length === 1 && logged(/^bare /).length === 1, 5000, "both log lines");
      expect(logged(/ end$/)[0]).toMatch(
        /^127\.0\.0\.1 \[[^\]]+\] ruled 200 "GET Example\.COM\/path\/x HTTP\/1\.1" 127\.0\.0\.1 "example\.com" Blue - end$/,
      );
      expect(logged(/^bare /)).toEqual([`bare 127.0.0.1 ${bare} bare.test`]);
    });

    test("prefer-client-ciphers (on a bind, or in ssl-default-bind-options): the client's order picks the cipher; without it the server's does (HAProxy's default) where the runtime's TLS can", async () => {
      const leaf = new TestPki().leaf("order", { names: ["localhost"], key: "rsa" });
      const [server, client, fromDefaults] = [await freePort(), await freePort(), await freePort()];
      const AES128_FIRST = ["-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384", "-tls1_2"];
      const AES256_FIRST = ["-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", "-tls1_2"];
      if (target.name === "deno") {
        // Deno's rustls takes no cipher list (sluice refuses 'ciphers' there) and always follows the client's order.
        run = await startSluice(target, `global
    ssl-default-bind-options prefer-client-ciphers
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${client} ssl crt ${leaf.pem} prefer-client-ciphers
    bind 127.0.0.1:${fromDefaults} ssl crt ${leaf.pem}
    http-request return status 200
`);
        for (const port of [client, fromDefaults]) {
          expect((await negotiated(port, AES128_FIRST)).cipher).toBe("ECDHE-RSA-AES128-GCM-SHA256");
          expect((await negotiated(port, AES256_FIRST)).cipher).toBe("ECDHE-RSA-AES256-GCM-SHA384");
        }
        return;
      }
      const ciphers = "ciphers ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
      run = await startSluice(target, `${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${server} ssl crt ${leaf.pem} ${ciphers}
    bind 127.0.0.1:${client} ssl crt ${leaf.pem} ${ciphers} prefer-client-ciphers
    http-request return status 200
`);
      // The server's order (AES256 first) wins whatever the client prefers, as HAProxy's default...
      expect((await negotiated(server, AES128_FIRST)).cipher).toBe("ECDHE-RSA-AES256-GCM-SHA384");
      // ...and with prefer-client-ciphers, the client's.
      expect((await negotiated(client, AES128_FIRST)).cipher).toBe("ECDHE-RSA-AES128-GCM-SHA256");
      expect((await negotiated(client, AES256_FIRST)).cipher).toBe("ECDHE-RSA-AES256-GCM-SHA384");
      await stopSluice(run);
      run = await startSluice(target, `global
    ssl-default-bind-options prefer-client-ciphers
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${fromDefaults} ssl crt ${leaf.pem} ${ciphers}
    http-request return status 200
`);
      expect((await negotiated(fromDefaults, AES128_FIRST)).cipher).toBe("ECDHE-RSA-AES128-GCM-SHA256");
    });

    test("stats socket user/group and uid/gid: the unix socket's owner, as stat sees it; the runtime API answers on it", async () => {
      const dir = tempDir();
      const port = await freePort();
      run = await startSluice(target, `global
    stats socket ${dir}/named.sock mode 660 level admin user nobody group nogroup
    stats socket ${dir}/ids.sock uid 102 gid 105
    stats socket ${dir}/group-only.sock group nogroup
${HEAD}    mode http
frontend fe
    bind 127.0.0.1:${port}
    http-request return status 200
`);
      const owner = (name: string) => {
        const st = statSync(join(dir, name));
        return { uid: st.uid, gid: st.gid, mode: st.mode & 0o777 };
      };
      expect(owner("named.sock")).toEqual({ uid: 65534, gid: 65534, mode: 0o660 });
      expect([owner("ids.sock").uid, owner("ids.sock").gid]).toEqual([102, 105]);
      // Only the group said: the owner stays the process's (root here).
      expect([owner("group-only.sock").uid, owner("group-only.sock").gid]).toEqual([process.getuid!(), 65534]);
      const proc = Bun.spawn(["socat", "stdio", `UNIX-CONNECT:${dir}/named.sock`], { stdin: "pipe", stdout: "pipe" });
      proc.stdin.write("show info\n");
      proc.stdin.end();
      expect(await new Response(proc.stdout).text()).toMatch(/^Name: /m);
    });
  });
}
