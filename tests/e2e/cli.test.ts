// The command line end to end: demo, check, usage errors, version — per target.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { exchange, nameBackend, selectedTargets, sleep, spawnSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { VERSION } from "../../src/version.ts";

function gitDescribe(): string {
  return spawnSync("git", ["describe", "--always", "--dirty", "--abbrev=12"], { encoding: "utf8" }).stdout.trim();
}

function runSync(command: string[], cwd?: string) {
  const r = spawnSync(command[0]!, command.slice(1), { cwd, encoding: "utf8", timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const BROKEN_CFG = `global
    maxconn 100
    frobnicate

defaults
    mode tcp
    timeout connect 5x

frontend web
    bind 127.0.0.1:8080
    default_backend nowhere

backend api
    balance rdp-cookie
    server a1 127.0.0.1:99999
    server a2 127.0.0.1:9002 wieght 3

backend twice
    server t1 127.0.0.1:9003
    server t1 127.0.0.1:9004
`;

for (const target of selectedTargets()) {
  describe(`command line (${target.name})`, () => {
    test("version, -v, --version: the short line with the commit it was built from", () => {
      for (const args of [["version"], ["-v"], ["--version"]]) {
        const r = runSync(target.command(args));
        expect(r.code).toBe(0);
        const m = r.out.match(new RegExp(`^sluice ${VERSION.replaceAll(".", "\\.")} \\(commit ([0-9a-f]{12})(-dirty)?, (bun|deno) [0-9.]+\\)\\n$`));
        expect(m).not.toBeNull();
        // From source: this checkout's commit; the binary: the one it was built from, a commit of this repository.
        if (target.name !== "binary") expect(`${m![1]}${m![2] ?? ""}`).toBe(gitDescribe());
        else expect(runSync(["git", "cat-file", "-e", `${m![1]}^{commit}`]).code).toBe(0);
      }
    });

    test("-vv: build date and target in the binary, none from source; what is built in", () => {
      const r = runSync(target.command(["-vv"]));
      expect(r.code).toBe(0);
      const lines = r.out.split("\n");
      expect(lines[0]).toBe(`sluice version ${VERSION}`);
      expect(lines[1]).toMatch(/^Git commit : [0-9a-f]{12}(-dirty)?$/);
      if (target.name === "binary") {
        expect(lines[2]).toMatch(/^Build date : \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(lines[3]).toBe("Built with : bun build --compile, target linux-x64");
      } else {
        expect(lines.slice(2, 4)).toEqual(["Build date : none (running from source)", "Built with : none (running from source)"]);
      }
      expect(lines[4]).toMatch(new RegExp(`^Running on : ${target.name === "deno" ? "deno" : "bun"} [0-9.]+, linux x64 `));
      expect(r.out).toMatch(/^Feature list : \+TLS \+HTTP2 \+MASTER_WORKER /m);
      expect(r.out).toContain("Load-balancing algorithms : roundrobin static-rr leastconn");
    });

    test("unknown command and unknown flag: one-line error, usage, exit 2", () => {
      const a = runSync(target.command(["frobnicate"]));
      expect(a.code).toBe(2);
      expect(a.err.split("\n")[0]).toBe("sluice: unknown command 'frobnicate'");
      expect(a.err).toContain("Usage: sluice");
      const b = runSync(target.command(["--frob"]));
      expect(b.code).toBe(2);
      expect(b.err.split("\n")[0]).toContain("--frob");
      expect(b.err).toContain("Usage: sluice");
    });

    test("help for a command", () => {
      const r = runSync(target.command(["help", "check"]));
      expect(r.code).toBe(0);
      expect(r.out).toContain("Usage: sluice check -f CONFIG");
    });

    test("check: a valid example passes, a broken file lists every error with file and line", () => {
      const ok = runSync(target.command(["check", "-f", "examples/tcp.cfg"]), join(import.meta.dir, "../.."));
      expect(ok.err).toBe("");
      expect(ok.code).toBe(0);
      expect(ok.out).toBe("Configuration file is valid\n");
      const dir = tempDir();
      writeFileSync(join(dir, "sluice.cfg"), BROKEN_CFG);
      const bad = runSync(target.command(["-c", "-f", "sluice.cfg"]), dir);
      expect(bad.code).toBe(1);
      const lines = bad.err.trim().split("\n");
      expect(lines).toEqual(EXPECTED_ERRORS);
    });

    test("examples/tcp.cfg and its YAML twin balance 3:1 between their two servers", async () => {
      const s1 = await nameBackend("1", 9001);
      const s2 = await nameBackend("2", 9002);
      try {
        for (const example of ["examples/tcp.cfg", "examples/tcp.yaml"]) {
          const run = spawnSluice(target, ["-f", example]);
          try {
            await waitFor(() => run.errLines.some((l) => l.includes(") ready")), 15000, `sluice on ${example}`);
            let seen = "";
            for (let i = 0; i < 8; i++) seen += (await exchange(8080)).data.toString();
            expect(seen).toBe("11211121");
          } finally {
            expect(await stopSluice(run)).toBe(0);
          }
        }
      } finally {
        await s1.close();
        await s2.close();
      }
    });

    test("the demo serves three different backends on :8080, and stops on SIGINT", async () => {
      const run = spawnSluice(target, ["demo"]);
      try {
        await waitFor(() => run.errLines.some((l) => l.includes(") ready")), 15000, "demo to start");
        expect(run.outText()).toContain("curl localhost:8080");
        const names = new Set<string>();
        for (let i = 0; i < 3; i++) {
          const r = runSync(["curl", "-sS", "--max-time", "5", "http://localhost:8080/"]);
          expect(r.code).toBe(0);
          names.add(r.out.trim());
        }
        expect([...names].sort()).toEqual(["Hello from demo-1", "Hello from demo-2", "Hello from demo-3"]);
        run.kill("SIGINT");
        expect(await Promise.race([run.exited, sleep(8000).then(() => -1)])).toBe(0);
      } finally {
        await stopSluice(run);
      }
    });
  });
}

const EXPECTED_ERRORS = [
  "sluice.cfg:3: global: keyword 'frobnicate' is not supported yet",
  "sluice.cfg:7: defaults: timeout connect: invalid time '5x' (expected a number with unit us, ms, s, m, h or d)",
  "sluice.cfg:11: frontend 'web': default_backend 'nowhere' is not defined (no backend or listen has that name)",
  "sluice.cfg:14: backend 'api': balance 'rdp-cookie' is not supported yet (supported: roundrobin, static-rr, leastconn, first, random, source, uri, url_param, hdr, hash)",
  "sluice.cfg:15: backend 'api': server 'a1': port 99999 is out of range (1-65535)",
  "sluice.cfg:16: backend 'api': server 'a2': option 'wieght' is not supported yet (supported: weight, backup, disabled, maxconn, pool-max-conn, pool-purge-delay, pool-low-conn, send-proxy, proto, max-reuse, ssl, verify, ca-file, sni, verifyhost, alpn, crt, ssl-min-ver, ssl-max-ver, no-sslv3, no-tlsv10, no-tlsv11, no-tlsv12, no-tlsv13, ciphers, ciphersuites, ssl-reuse, tls-tickets, maxqueue, minconn, slowstart, init-addr, resolvers, resolve-prefer, check, inter, fastinter, downinter, rise, fall, port, addr, check-send-proxy, check-ssl, check-sni, check-alpn, observe, error-limit, on-error, on-marked-down, on-marked-up, track, agent-check, agent-port, agent-addr, agent-inter, agent-send, cookie, redir, socks4, check-via-socks4, enabled, no-<flag>)",
  "sluice.cfg:20: backend 'twice': server 't1': duplicate name (server 't1' is already defined at sluice.cfg:19)",
  "7 errors in the configuration",
];
