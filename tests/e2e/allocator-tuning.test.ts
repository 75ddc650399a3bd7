// Under Bun sluice executes itself again before serving, with its allocator
// tuned (src/runtime/bun-allocator.ts). Over real processes: the process the
// test started is the one serving (same pid, same command line), its
// environment has the tuning, an operator's own value is kept, a process
// started with a descriptor of its own (log fd@3) keeps it and runs untuned,
// and a command that serves nothing (probe, as check and version) is not
// executed again. Under Deno nothing changes.
import { afterEach, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import { freePort, selectedTargets, tempDir, waitFor } from "./harness.ts";
import { type ServiceRun, spawnService, waitForLine } from "./process-run.ts";

const NAME = "MIMALLOC_PURGE_HOLES";
// The tests start sluice with this process's environment: without the variable, whatever ran the suite.
delete process.env[NAME];

function environ(pid: number): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter((a) => a !== "");
}

function writeConfig(port: number, global = "", defaults = ""): string {
  const file = join(tempDir(), "sluice.cfg");
  writeFileSync(file, `
global
${global}
defaults
${defaults}
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string tuned
`);
  return file;
}

let run: ServiceRun | undefined;
afterEach(async () => {
  run?.kill("SIGTERM");
  await run?.exited;
  run = undefined;
});

for (const target of selectedTargets()) {
  const bun = target.name !== "deno";
  describe(`allocator tuning (${target.name})`, () => {
    test(bun ? "the process started serves, tuned, with its arguments" : "the process serves untouched", async () => {
      const port = await freePort();
      const args = ["-f", writeConfig(port), "--strict-ownership"];
      run = spawnService(target, args);
      await waitForLine(run, ") ready");
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.text()).toBe("tuned");
      // The pid the test holds is the serving one: executed again in place, not a child.
      const env = environ(run.pid);
      expect(env.get(NAME)).toBe(bun ? "0" : undefined);
      expect(cmdline(run.pid)).toEqual(target.command(args));
      expect(env.get("NO_COLOR")).toBe("1"); // the rest of the environment is kept
    });

    test("an operator's own value is kept", async () => {
      const port = await freePort();
      run = spawnService(target, ["-f", writeConfig(port)], { [NAME]: "1" });
      await waitForLine(run, ") ready");
      expect(environ(run.pid).get(NAME)).toBe("1");
    });

    test(bun ? "started with descriptor 3 (log fd@3): it keeps it, untuned, and logs there" : "started with descriptor 3 (log fd@3): it logs there (libc's write: Deno's node:fs refuses it)", async () => {
      const port = await freePort();
      const logFile = join(tempDir(), "fd3.log");
      writeFileSync(logFile, "");
      const fd = openSync(logFile, "a");
      const config = writeConfig(port, "    log fd@3 local0", "    log global\n    option httplog");
      const proc = Bun.spawn(target.command(["-f", config]), { stdio: ["ignore", "ignore", "pipe", fd], env: { ...process.env, NO_COLOR: "1" } });
      closeSync(fd);
      try {
        const err = proc.stderr.getReader();
        let text = "";
        while (!text.includes(") ready")) {
          const { value, done } = await err.read();
          if (done) throw new Error(`exited before ready:\n${text}`);
          text += new TextDecoder().decode(value);
        }
        expect(readlinkSync(`/proc/${proc.pid}/fd/3`)).toBe(logFile);
        expect(environ(proc.pid).get(NAME)).toBeUndefined();
        expect(await (await fetch(`http://127.0.0.1:${port}/fd3`)).text()).toBe("tuned");
        await waitFor(() => readFileSync(logFile, "utf8").includes("GET /fd3"), 5000, "the log line on descriptor 3");
      } finally {
        proc.kill("SIGTERM");
        await proc.exited;
      }
    });
  });
}

describe("allocator tuning: a command that serves nothing is not executed again", () => {
  const target = selectedTargets().find((t) => t.name === "bun");
  test.skipIf(target === undefined)("probe (as check and version) keeps its environment", async () => {
    // A server that accepts and never answers: the probe waits, and its process can be read meanwhile.
    let accepted = 0;
    const silent = net.createServer(() => accepted++);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      run = spawnService(target!, ["probe", `http://127.0.0.1:${port}/`, "--timeout", "10s"]);
      await waitFor(() => accepted > 0 || run!.exitCode() !== undefined, 10000, "the probe's connection");
      expect(run.exitCode()).toBeUndefined();
      expect(environ(run.pid).get(NAME)).toBeUndefined();
    } finally {
      silent.close();
    }
  });
});
