// `bind unix@/path` and `bind /path` in frontends, beside HAProxy 2.6: both
// listen there in mode http and mode tcp, apply the bind's `mode` to the
// socket file, and log such a client as `unix:N` (N: the listener's number in
// its frontend). Clients are the real curl (--unix-socket) and socat
// (UNIX-CONNECT). `bind abns@name` is HAProxy's alone: it binds the name
// padded to 108 bytes, which Bun cannot; sluice refuses it, saying so.
// Such a client has no address: `src` gives no sample and `option
// forwardfor` adds no X-Forwarded-For (HAProxy's AF_UNIX).
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { freePort, nameBackend, selectedTargets, spawnSluice, tempDir, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const config = (dir: string, port: number, backendPort: number, headersPort: number) => `global
    log stderr format raw local0
defaults
    log global
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend web
    mode http
    option httplog
    bind 127.0.0.1:${port}
    bind unix@${dir}/web.sock mode 660
    bind ${dir}/plain.sock
    http-request return status 200 content-type text/plain string ok
frontend pipe
    mode tcp
    option tcplog
    bind unix@${dir}/pipe.sock
    default_backend named
backend named
    mode tcp
    server s 127.0.0.1:${backendPort}
frontend forwarding
    mode http
    bind unix@${dir}/fwd.sock
    option forwardfor
    http-request set-header x-src "%[src]"
    default_backend headers
backend headers
    mode http
    server s 127.0.0.1:${headersPort}
`;

/** A peer program's output (run asynchronously: the backend lives in this process). */
async function run(cmd: string[], input = ""): Promise<string> {
  const proc = Bun.spawn(cmd, { stdin: new TextEncoder().encode(input), stdout: "pipe", stderr: "ignore" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

const curlUnix = (path: string) => run(["curl", "-s", "--max-time", "5", "--unix-socket", path, "http://sluice/"]);
const socat = (address: string, input: string) => run(["socat", "-t", "2", "-T", "5", "-", address], input);

describe("UNIX socket binds", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: unix@ and a bare path listen (http and tcp), mode applies, clients log as unix:N`, async () => {
      const dir = tempDir();
      const port = await freePort();
      const backend = await nameBackend("from-backend");
      // Answers with the request's header names and values, one a line.
      const headers = createServer((req, res) => res.end(Object.entries(req.headers).map(([k, v]) => `${k}=${v}`).join("\n")));
      await new Promise<void>((r) => headers.listen(0, "127.0.0.1", () => r()));
      const running = await proxy.start(config(dir, port, backend.port, (headers.address() as AddressInfo).port), [port]);
      try {
        const web = join(dir, "web.sock");
        await waitFor(() => {
          try {
            return statSync(web).isSocket();
          } catch {
            return false;
          }
        }, 5000, "the socket file");
        expect(statSync(web).mode & 0o777).toBe(0o660);
        expect(await curlUnix(web)).toBe("ok");
        expect(await curlUnix(join(dir, "plain.sock"))).toBe("ok");
        expect(await socat(`UNIX-CONNECT:${web}`, "GET / HTTP/1.0\r\n\r\n")).toMatch(/^HTTP\/1\.[01] 200 .*ok$/s);
        expect(await socat(`UNIX-CONNECT:${join(dir, "pipe.sock")}`, "hello\n")).toContain("from-backend");
        const forwarded = (await curlUnix(join(dir, "fwd.sock"))).split("\n");
        expect(forwarded).toContain("x-src=");
        expect(forwarded.filter((l) => l.startsWith("x-forwarded-for="))).toEqual([]);
        const logged = () => running.errLines().filter((l) => /^unix:\d+ \[\S+\] (web|pipe) /.test(l));
        await waitFor(() => logged().length >= 4, 5000, "four log lines");
        const clients = logged().map((l) => l.split(" ")[0]).sort();
        // The second (twice) and third listeners of `web`; the first of `pipe`.
        expect(clients).toEqual(["unix:1", "unix:2", "unix:2", "unix:3"]);
        expect(logged().find((l) => l.includes(" pipe "))).toMatch(/^unix:1 \[/);
      } finally {
        await running.stop();
        backend.close();
        headers.close();
      }
    });

    test(`${proxy.name}: bind abns@ (HAProxy: listens; sluice: refused, saying why)`, () => {
      const problem = proxy.loads(`defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind abns@sluice-test\n    http-request return status 200\n`);
      if (proxy.name === "haproxy") expect(problem).toBeUndefined();
      else expect(problem).toMatch(/:7: .*bind.*'abns@sluice-test': abstract UNIX sockets \(abns@\) are not supported: HAProxy 2\.6 names one by the full 108-byte/);
    });
  }

  for (const target of selectedTargets()) {
    test(`sluice ${target.name}: under master-worker (-W) a UNIX bind is refused at start, saying why`, async () => {
      const dir = tempDir();
      const file = join(dir, "mw.cfg");
      writeFileSync(file, `defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind unix@${dir}/mw.sock\n    http-request return status 200\n`);
      const run = spawnSluice(target, ["-W", "-f", file]);
      expect(await run.exited).not.toBe(0);
      expect(run.errLines.join("\n")).toContain(`frontend 'f' at ${file}:7: bind unix@${dir}/mw.sock: UNIX socket binds are not supported in master-worker mode`);
    });
  }
});
