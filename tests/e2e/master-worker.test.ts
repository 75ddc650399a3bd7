// The master-worker mode (issue 16) on real sockets: two workers serve one
// port, a killed worker is replaced, a bad configuration on SIGUSR2 leaves the
// old workers serving, 20 reloads under continuous load lose nothing, SIGTERM
// stops everything. Each worker's log lines carry its pid (%pid).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, spawnSluice, tempDir, waitFor } from "./harness.ts";
import { alive, countersSince, enableMigrateReq, servingPids, startLoad, tcpCounters } from "./reload-load.ts";
import { TestPki } from "../support/certs.ts";

const RELOADS = 20;

function config(port: number, h2Port: number, backendPort: number, extra = ""): string {
  return `
global
    workers 2
    hard-stop-after 10s
defaults
    mode http
    # An idle keep-alive connection of a stopping worker answers its next request with Connection: close.
    option idle-close-on-response
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:${port}
    log stderr format raw
    log-format "served-by %pid %ST"
    default_backend app
frontend web_h2
    bind 127.0.0.1:${h2Port} proto h2
    log stderr format raw
    log-format "served-by %pid %ST"
    default_backend app
backend app
    server s1 127.0.0.1:${backendPort}
${extra}`;
}

/** The workers the master reported ready, newest last: [worker number, pid, generation]. */
function readyWorkers(run: Run): { worker: number; pid: number; generation: number }[] {
  const out = [];
  for (const line of run.errLines) {
    const m = /master \(pid \d+\): worker (\d+) listening \(pid (\d+), generation (\d+)\)/.exec(line);
    if (m) out.push({ worker: Number(m[1]), pid: Number(m[2]), generation: Number(m[3]) });
  }
  return out;
}

async function get(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
  await r.text();
  return r.status;
}

for (const target of selectedTargets()) {
  describe(`master and workers (${target.name})`, () => {
    let run: Run;
    let backend: ReturnType<typeof Bun.serve>;
    let port = 0;
    let h2Port = 0;
    let file = "";
    let good = "";
    let restoreMigrateReq = () => {};

    beforeAll(async () => {
      restoreMigrateReq = enableMigrateReq();
      backend = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
      port = await freePort();
      h2Port = await freePort();
      file = join(tempDir(), "sluice.cfg");
      good = config(port, h2Port, backend.port!);
      writeFileSync(file, good);
      run = spawnSluice(target, ["-f", file, "--strict-ownership"]);
      let code: number | undefined;
      run.exited.then((c) => (code = c));
      await waitFor(() => code !== undefined || run.errLines.some((l) => l.includes(") ready")), 20000, "the master ready");
      if (code !== undefined) throw new Error(`sluice exited with ${code}:\n${run.errLines.join("\n")}`);
    });

    afterAll(async () => {
      if (run.proc.exitCode === null) {
        run.kill("SIGKILL");
        for (const w of readyWorkers(run)) if (alive(w.pid)) process.kill(w.pid, "SIGKILL");
      }
      backend.stop(true);
      restoreMigrateReq();
    });

    test("two workers serve one port (each answers: its pid in the log lines)", async () => {
      const workers = readyWorkers(run);
      expect(workers.map((w) => w.worker).sort()).toEqual([1, 2]);
      const from = run.errLines.length;
      for (let i = 0; i < 40; i++) expect(await get(port)).toBe(200);
      await waitFor(() => servingPids(run, from).size >= 2, 5000, "both workers in the log");
      expect([...servingPids(run, from)].sort()).toEqual(workers.map((w) => w.pid).sort());
    });

    test("a killed worker is replaced and the port keeps serving", async () => {
      const [victim, other] = readyWorkers(run);
      process.kill(victim!.pid, "SIGKILL");
      await waitFor(() => readyWorkers(run).length === 3, 20000, "a replacement worker");
      const replacement = readyWorkers(run)[2]!;
      expect(replacement.worker).toBe(victim!.worker);
      expect(replacement.pid).not.toBe(victim!.pid);
      expect(run.errLines.some((l) => l.includes(`worker ${victim!.worker} (pid ${victim!.pid}) died unexpectedly (signal SIGKILL)`))).toBe(true);
      expect(alive(other!.pid)).toBe(true);
      for (let i = 0; i < 10; i++) expect(await get(port)).toBe(200);
    });

    test("a bad configuration on SIGUSR2 is refused with its errors; the old workers keep serving", async () => {
      const before = readyWorkers(run).slice(-2);
      writeFileSync(file, good + "    frobnicate yes\n");
      run.kill("SIGUSR2");
      await waitFor(() => run.errLines.some((l) => l.includes("reload refused: 1 error")), 10000, "the refusal");
      expect(run.errLines.some((l) => l.includes("keyword 'frobnicate' is not supported yet"))).toBe(true);
      writeFileSync(file, good);
      expect(readyWorkers(run).length).toBe(3);
      for (const w of before) expect(alive(w.pid)).toBe(true);
      const from = run.errLines.length;
      for (let i = 0; i < 20; i++) expect(await get(port)).toBe(200);
      await sleep(200);
      for (const pid of servingPids(run, from)) expect(before.map((w) => w.pid)).toContain(pid);
    });

    test(`${RELOADS} reloads under load: 0 failed requests, 0 refused connections`, async () => {
      const kernelBefore = tcpCounters();
      const load = startLoad(port, h2Port, { newConnLoops: 3, keepAliveLoops: 2, h2Streams: 4 });
      // When each reload was asked and done (ms from the load's start): a failure's time places it among them.
      const reloadTimes: string[] = [];
      const at = () => Math.round(performance.now() - load.counts.since);
      const firstGeneration = readyWorkers(run).at(-1)!.generation;
      const replaced: number[] = [];
      await sleep(300);
      for (let i = 1; i <= RELOADS; i++) {
        const old = readyWorkers(run).slice(-2).map((w) => w.pid);
        // SIGHUP does the same as SIGUSR2: alternate them.
        const asked = at();
        run.kill(i % 2 === 0 ? "SIGHUP" : "SIGUSR2");
        const generation = firstGeneration + i;
        await waitFor(() => run.errLines.some((l) => l.includes(`reload done: generation ${generation} serving`)), 20000, `reload ${i}`);
        reloadTimes.push(`${asked}-${at()}`);
        replaced.push(...old);
        await sleep(100);
      }
      await sleep(300);
      const counts = await load.stop();
      console.log(`${target.name}: ${RELOADS} reloads under load:`, JSON.stringify(counts));
      if (counts.samples.length > 0) {
        console.log(`reloads (asked-done, ms): ${reloadTimes.join(" ")}; kernel counters moved: ${JSON.stringify(countersSince(kernelBefore))}`);
        console.log(run.errLines.filter((l) => /master|stopp|hard/.test(l)).slice(-60).join("\n"));
      }
      expect(counts.samples).toEqual([]);
      expect(counts.refused).toBe(0);
      expect(counts.reset).toBe(0);
      expect(counts.failed).toBe(0);
      // option idle-close-on-response: no request met a keep-alive connection closing under it.
      expect(counts.idleClosedRetries).toBe(0);
      expect(counts.closedAfterAnswer).toBeGreaterThan(0);
      // The two-step GOAWAY: no HTTP/2 stream refused unprocessed.
      expect(counts.h2Refused).toBe(0);
      expect(counts.h2Goaways).toBeGreaterThan(0);
      expect(counts.ok).toBeGreaterThan(200);
      // Every old worker exits once its connections are done.
      await waitFor(() => replaced.every((pid) => !alive(pid)), 15000, "the old workers to exit");
    }, 120000);

    test("SIGTERM stops the master and every worker", async () => {
      const workers = readyWorkers(run).slice(-2);
      run.kill("SIGTERM");
      const code = await Promise.race([run.exited, sleep(15000).then(() => -1)]);
      expect(code).toBe(0);
      for (const w of workers) expect(alive(w.pid)).toBe(false);
      expect(run.errLines.some((l) => /master \(pid \d+\): stopped/.test(l))).toBe(true);
    });
  });
}

for (const target of selectedTargets()) {
  describe(`health checks across workers (${target.name})`, () => {
    let run: Run;
    let backend: ReturnType<typeof Bun.serve>;
    let checkCounter: net.Server;
    let checks = 0;
    let port = 0;

    beforeAll(async () => {
      backend = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
      // The check of server `up` goes here (check port): each accepted connection is one check.
      checkCounter = net.createServer((s) => {
        checks++;
        s.destroy();
      });
      await new Promise<void>((r) => checkCounter.listen(0, "127.0.0.1", () => r()));
      const checkPort = (checkCounter.address() as net.AddressInfo).port;
      const deadPort = await freePort();
      port = await freePort();
      const file = join(tempDir(), "checks.cfg");
      writeFileSync(file, `
global
    workers 2
    hard-stop-after 5s
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:${port}
    log stderr format raw
    log-format "served-by %pid %ST %s"
    default_backend checked
backend checked
    server up 127.0.0.1:${backend.port} check port ${checkPort} inter 100ms
    server dead 127.0.0.1:${deadPort} check inter 100ms fall 2
`);
      run = spawnSluice(target, ["-f", file, "--strict-ownership"]);
      let code: number | undefined;
      run.exited.then((c) => (code = c));
      await waitFor(() => code !== undefined || run.errLines.some((l) => l.includes(") ready")), 20000, "the master ready");
      if (code !== undefined) throw new Error(`sluice exited with ${code}:\n${run.errLines.join("\n")}`);
    });

    afterAll(async () => {
      if (run.proc.exitCode === null) {
        run.kill("SIGTERM");
        await Promise.race([run.exited, sleep(10000)]);
      }
      backend.stop(true);
      checkCounter.close();
    });

    test("one worker checks (the servers see the configured rate, not twice it); the other follows its verdicts", async () => {
      // Worker 1 finds `dead` DOWN; worker 2 hears it from the master and takes it out too: two log lines.
      await waitFor(() => run.errLines.filter((l) => l.includes("Server checked/dead is DOWN")).length === 2, 10000, "both workers to mark dead DOWN");
      const from = run.errLines.length;
      for (let i = 0; i < 40; i++) expect(await get(port)).toBe(200);
      await waitFor(() => servingPids(run, from).size === 2, 5000, "both workers serving");
      // Over 2 s at inter 100ms one checker makes about 20 checks; two would make about 40.
      const before = checks;
      await sleep(2000);
      const made = checks - before;
      console.log(`${target.name}: ${made} checks of server 'up' in 2 s at inter 100ms with 2 workers`);
      expect(made).toBeGreaterThanOrEqual(12);
      expect(made).toBeLessThanOrEqual(26);
    });
  });
}

for (const target of selectedTargets()) {
  describe(`TLS binds across workers and a reload (${target.name})`, () => {
    test("one certificate (Bun's own TLS) and a directory of two (node:tls): both workers serve, a reload keeps serving", async () => {
      const backend = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") });
      const dir = tempDir();
      const pki = new TestPki(tempDir());
      const one = pki.leaf("one", { names: ["one.test"] });
      mkdirSync(join(dir, "two"));
      for (const name of ["a.test", "b.test"]) copyFileSync(pki.leaf(name, { names: [name] }).pem, join(dir, "two", `${name}.pem`));
      const [p1, p2] = [await freePort(), await freePort()];
      const file = join(dir, "tls.cfg");
      writeFileSync(file, `
global
    workers 2
    hard-stop-after 5s
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    log stderr format raw
    log-format "served-by %pid %ST"
frontend one
    bind 127.0.0.1:${p1} ssl crt ${one.pem}
    default_backend app
frontend two
    bind 127.0.0.1:${p2} ssl crt ${join(dir, "two")}
    default_backend app
backend app
    server s1 127.0.0.1:${backend.port}
`);
      const run = spawnSluice(target, ["-f", file, "--strict-ownership"]);
      try {
        await waitFor(() => run.proc.exitCode !== null || run.errLines.some((l) => l.includes(") ready")), 20000, "the master ready");
        // curl runs beside this process (whose event loop serves the backend): not spawnSync.
        const curl = async (name: string, port: number) => {
          const p = Bun.spawn(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", pki.caFile,
            "--resolve", `${name}:${port}:127.0.0.1`, `https://${name}:${port}/`], { stdout: "pipe" });
          const code = await new Response(p.stdout).text();
          await p.exited;
          return code;
        };
        const round = async () => {
          const codes: string[] = [];
          for (let i = 0; i < 12; i++) codes.push(await curl("one.test", p1), await curl(i % 2 ? "a.test" : "b.test", p2));
          return codes;
        };
        const from = run.errLines.length;
        expect((await round()).every((c) => c === "200")).toBe(true);
        await waitFor(() => servingPids(run, from).size === 2, 5000, "both workers serving TLS");
        run.kill("SIGUSR2");
        await waitFor(() => run.errLines.some((l) => l.includes("reload done: generation 2")), 20000, "the reload");
        const after = run.errLines.length;
        expect((await round()).every((c) => c === "200")).toBe(true);
        const fresh = readyWorkers(run).filter((w) => w.generation === 2).map((w) => w.pid);
        await sleep(200);
        for (const pid of servingPids(run, after)) expect(fresh).toContain(pid);
      } finally {
        run.kill("SIGTERM");
        await Promise.race([run.exited, sleep(10000)]);
        backend.stop(true);
      }
    });
  });
}
