// examples/systemd/sluice.service: `systemd-analyze verify` accepts it (on a
// temporary copy whose binary path names one that exists here: verify checks
// that the executables are there), and refuses a broken copy, so the check
// means something. Then what its AmbientCapabilities line gives: binding :80
// and :443 as an unprivileged user (uid 65532) with CAP_NET_BIND_SERVICE as
// an ambient capability (setpriv, as systemd sets it), and a refusal without.
import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { BINARY, ROOT, selectedTargets, type Target, tempDir } from "./harness.ts";
import { spawnService, waitForLine } from "./process-run.ts";

const UNIT = join(ROOT, "examples/systemd/sluice.service");
const INSTALLED = "/usr/local/bin/sluice";
const UNPRIVILEGED = 65532;

function verify(unitText: string): { code: number; output: string } {
  const dir = tempDir();
  const file = join(dir, "sluice.service");
  writeFileSync(file, unitText);
  const run = Bun.spawnSync(["systemd-analyze", "verify", file], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, SYSTEMD_LOG_COLOR: "0" },
  });
  return { code: run.exitCode ?? -1, output: run.stdout.toString() + run.stderr.toString() };
}

describe("examples/systemd/sluice.service", () => {
  const text = readFileSync(UNIT, "utf8");
  // The binary the tests build, else the bun that runs them: verify needs an executable at the path.
  const executable = existsSync(BINARY) ? BINARY : process.execPath;

  test("systemd-analyze verify accepts it, with the binary path pointing at an executable here", () => {
    expect(text).toContain(`ExecStart=${INSTALLED} -W -f`);
    const result = verify(text.replaceAll(INSTALLED, executable));
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  test("verify reports a broken copy (the check is not vacuous)", () => {
    // An unknown value is only warned about (exit 0): the clean run above prints nothing at all.
    const result = verify(text.replaceAll(INSTALLED, executable).replace(/^Type=notify$/m, "Type=notifyy"));
    expect(result.output).toContain("Failed to parse service type, ignoring: notifyy");
    const missing = verify(text.replaceAll(INSTALLED, "/nonexistent/sluice"));
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("/nonexistent/sluice");
  });

  test("it asks for notify, reload by SIGUSR2, the file limit, the allocator's tuning, the bind capability and the hardening", () => {
    for (const line of [
      "Type=notify",
      `ExecStartPre=${INSTALLED} check -f \${CONFIG}`,
      "ExecReload=/bin/kill -USR2 $MAINPID",
      "LimitNOFILE=1048576",
      "Environment=MIMALLOC_PURGE_HOLES=0",
      "AmbientCapabilities=CAP_NET_BIND_SERVICE",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    ]) {
      expect(text.split("\n")).toContain(line);
    }
  });
});

/** Whether 127.0.0.1:port can be bound now (by root: the test). */
async function free(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** :80 and :443 when free on loopback, else other ports below 1024 (the machine is shared). */
async function privilegedPorts(): Promise<number[]> {
  const ports: number[] = [];
  for (const p of [80, 443, ...Array.from({ length: 200 }, (_, i) => 800 + i)]) {
    if (ports.length === 2) break;
    if (await free(p)) ports.push(p);
  }
  return ports;
}

function asUnprivileged(target: Target, capability: boolean): Target {
  const caps = capability ? ["--inh-caps", "+net_bind_service", "--ambient-caps", "+net_bind_service"] : [];
  return {
    name: target.name,
    command: (args) => [
      "setpriv", "--reuid", String(UNPRIVILEGED), "--regid", String(UNPRIVILEGED), "--clear-groups", ...caps, "--", ...target.command(args),
    ],
  };
}

for (const target of selectedTargets()) {
  describe(`binding privileged ports as uid ${UNPRIVILEGED} (${target.name})`, () => {
    test("with the ambient CAP_NET_BIND_SERVICE the unit gives: serves; without: refused", async () => {
      const dir = tempDir();
      chmodSync(dir, 0o755);
      // The runtimes' caches (Bun's transpiler, Deno's DENO_DIR) must be writable by that user.
      const home = join(dir, "home");
      mkdirSync(home);
      chownSync(home, UNPRIVILEGED, UNPRIVILEGED);
      const env = { HOME: home, DENO_DIR: join(home, "deno") };
      const [a, b] = await privilegedPorts();
      expect(b).toBeDefined();
      const file = join(dir, "edge.cfg");
      writeFileSync(file, `
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend edge
    bind 127.0.0.1:${a}
    bind 127.0.0.1:${b}
    http-request return status 200 content-type text/plain string edge
`);
      const run = spawnService(asUnprivileged(target, true), ["-f", file], env);
      try {
        await waitForLine(run, ") ready", 20000);
        for (const port of [a, b]) {
          const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
          expect(`${r.status} ${await r.text()}`).toBe("200 edge");
        }
        expect(readFileSync(`/proc/${run.pid}/status`, "utf8")).toMatch(new RegExp(`Uid:\\s+${UNPRIVILEGED}\\s`));
      } finally {
        run.kill("SIGTERM");
        await run.exited;
      }
      const refused = spawnService(asUnprivileged(target, false), ["-f", file], env);
      expect(await refused.exited).toBe(1);
      expect(refused.errLines.join("\n")).toContain("sluice: cannot start");
    }, 60000);
  });
}
