// One face for the proxies an end-to-end test can run against: HAProxy 2.6
// (Debian's), the reference whose behaviour sluice's is compared with, and
// sluice under each target of harness.ts. Both take the same haproxy.cfg text.
// `loads` asks the proxy to check a configuration without starting it, so that
// a test file can run a target only once that target accepts its
// configuration (a keyword another branch adds, before the merge).
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import net from "node:net";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ROOT, type Run, selectedTargets, sleep, spawnSluice, startSluice, stopSluice, type Target, tempDir, waitFor } from "./harness.ts";

export interface RunningProxy {
  /** Lines the proxy wrote on stderr (sluice's logs; HAProxy's alerts). */
  errLines(): string[];
  /** The process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface ProxyUnderTest {
  name: string;
  /** Checks `config`: undefined when it loads, else the proxy's first error line. */
  loads(config: string): string | undefined;
  /** The same for a configuration file as it is, from the repository root. */
  loadsFile(file: string): string | undefined;
  /** Starts on `config`; resolves once every port in `ports` accepts connections. */
  start(config: string, ports: number[]): Promise<RunningProxy>;
  /** Starts on a configuration file as it is, from the repository root (relative paths in it resolve from there). */
  startFile(file: string, ports: number[]): Promise<RunningProxy>;
}

function writeConfig(config: string): string {
  const file = join(tempDir(), "proxy.cfg");
  writeFileSync(file, config);
  return file;
}

function firstError(text: string): string {
  const lines = text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /not supported|invalid|\[ALERT\]/i.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines[0] ?? "no output";
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * HAProxy reads relative certificate paths from its working directory, sluice
 * from the config file's directory: HAProxy runs in the file's directory, so
 * one file means the same to both.
 */
function configDir(file: string): string {
  return dirname(resolve(ROOT, file));
}

export const haproxy: ProxyUnderTest = {
  name: "haproxy",
  loads(config) {
    return this.loadsFile(writeConfig(config));
  },
  loadsFile(file) {
    const r = spawnSync("haproxy", ["-c", "-f", resolve(ROOT, file)], { cwd: configDir(file), encoding: "utf8" });
    return r.status === 0 ? undefined : firstError(`${r.stderr}${r.stdout}`);
  },
  start(config, ports) {
    return this.startFile(writeConfig(config), ports);
  },
  async startFile(file, ports) {
    const proc = Bun.spawn(["haproxy", "-db", "-f", resolve(ROOT, file)], { cwd: configDir(file), stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    let err = "";
    void (async () => {
      const dec = new TextDecoder();
      const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        err += dec.decode(value, { stream: true });
      }
    })();
    const deadline = Date.now() + 10000;
    for (const port of ports) {
      while (!(await canConnect(port))) {
        if (proc.exitCode !== null || Date.now() > deadline) {
          proc.kill("SIGKILL");
          throw new Error(`haproxy did not start: ${err}`);
        }
        await sleep(20);
      }
    }
    return {
      errLines: () => err.split("\n").filter(Boolean),
      alive: () => proc.exitCode === null && !proc.signalCode,
      async stop() {
        proc.kill("SIGTERM");
        await Promise.race([proc.exited, sleep(5000)]);
        if (proc.exitCode === null) proc.kill("SIGKILL");
        await proc.exited;
      },
    };
  },
};

export function sluiceUnderTest(target: Target): ProxyUnderTest {
  return {
    name: `sluice ${target.name}`,
    loads(config) {
      return this.loadsFile(writeConfig(config));
    },
    loadsFile(file) {
      const [cmd, ...args] = target.command(["check", "-f", file]);
      const r = spawnSync(cmd!, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
      return r.status === 0 ? undefined : firstError(`${r.stderr}${r.stdout}`);
    },
    async start(config, ports) {
      return await running(await startSluice(target, config), ports);
    },
    async startFile(file, ports) {
      const run = spawnSluice(target, ["-f", file, "--strict-ownership"], ROOT);
      await waitFor(() => run.proc.exitCode !== null || run.errLines.some((l) => l.includes(") ready")), 15000, `sluice (${target.name}) on ${file}`);
      if (run.proc.exitCode !== null) throw new Error(`sluice (${target.name}) exited:\n${run.errLines.join("\n")}`);
      return await running(run, ports);
    },
  };
}

/** Waits until every port accepts connections, then wraps the run. */
async function running(run: Run, ports: number[]): Promise<RunningProxy> {
  for (const port of ports) {
    let up = false;
    for (let i = 0; i < 500 && !(up = await canConnect(port)); i++) await sleep(20);
    if (!up) throw new Error(`sluice is not listening on ${port}`);
  }
  return {
    errLines: () => run.errLines,
    alive: () => run.proc.exitCode === null,
    async stop() {
      await stopSluice(run);
    },
  };
}

/**
 * The proxies a test file runs against: HAProxy (unless SLUICE_TARGETS is set
 * and does not name it) and sluice under each selected target.
 */
export function proxiesUnderTest(): ProxyUnderTest[] {
  const only = process.env.SLUICE_TARGETS?.split(",");
  const withReference = !only || only.includes("haproxy");
  return [...(withReference ? [haproxy] : []), ...selectedTargets().map(sluiceUnderTest)];
}

/**
 * Whether `proxy` loads the configuration file; when it does not, a failing
 * test names the proxy and its first error (and the file's cases are not run).
 */
export function accepted(proxy: ProxyUnderTest, file: string): boolean {
  const problem = proxy.loadsFile(file);
  if (problem === undefined) return true;
  test(`${proxy.name} accepts ${file}`, () => expect(problem).toBeUndefined());
  return false;
}

/**
 * Records `answer` as `proxy`'s and, when HAProxy answered already (it runs
 * first in proxiesUnderTest's order), expects the same.
 */
export function expectSameAsHaproxy<T>(answers: Map<string, unknown>, proxy: string, answer: T): void {
  answers.set(proxy, answer);
  const reference = answers.get(haproxy.name);
  if (reference !== undefined) expect(answer).toEqual(reference as T);
}
