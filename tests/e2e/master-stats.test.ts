// The master's stats and runtime API under master-worker (issue 16), on real
// sockets: two workers share the traffic; the master's stats listener (;csv)
// and its `stats socket` (show stat, with socat) give the exact counters of
// both summed; `show proc` lists the workers; a weight set on the master's
// socket reaches both workers (seen from the real backends), survives a
// `reload` (socket command) and a SIGUSR2, and so does a map entry added
// there; a bad configuration on `reload` is refused with its errors in the
// answer; a server disabled then a worker killed: its replacement has it
// disabled too. The stats page's JSON API and forms on the master's listener
// change the servers of both workers, and the change is replayed to a new one.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, spawnSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { alive, enableMigrateReq, servingPids } from "./reload-load.ts";

/** `echo LINE | socat stdio UNIX-CONNECT:PATH`; -t long enough for a reload's answer. */
async function cli(path: string, line: string): Promise<string> {
  const proc = Bun.spawn(["socat", "-t", "30", "stdio", `UNIX-CONNECT:${path}`], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write(`${line}\n`);
  await proc.stdin.end();
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split("\n");
  const columns = head!.replace(/^# /, "").split(",");
  return lines.filter((l) => l !== "").map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ""]));
  });
}

const row = (rows: Record<string, string>[], px: string, sv: string) => rows.find((r) => r.pxname === px && r.svname === sv);

interface Proc {
  master: number;
  reloads: string;
  workers: number[];
  old: number[];
}

/** `show proc` as HAProxy 2.6 lays it out. */
function parseProc(text: string): Proc {
  const out: Proc = { master: 0, reloads: "", workers: [], old: [] };
  let section: "workers" | "old" | "other" = "other";
  for (const line of text.split("\n")) {
    if (line === "# workers") section = "workers";
    else if (line === "# old workers") section = "old";
    else if (line.startsWith("#")) section = "other";
    else if (/^\d+ +master/.test(line)) {
      out.master = Number(line.split(/ +/)[0]);
      out.reloads = line.slice(32, 48).trim();
    } else if (/^\d+ +worker/.test(line)) {
      const pid = Number(line.split(/ +/)[0]);
      if (section === "workers") out.workers.push(pid);
      else if (section === "old") out.old.push(pid);
    }
  }
  return out;
}

/** Sends `n` requests, each on a new connection; the bodies (the backend's name). */
async function requests(port: number, n: number, host?: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close", ...(host === undefined ? {} : { host }) } });
    expect(r.status).toBe(200);
    bodies.push(await r.text());
  }
  return bodies;
}

for (const target of selectedTargets()) {
  describe(`the master's stats and runtime API (${target.name})`, () => {
    let run: Run;
    const hits = { a: 0, b: 0, c: 0 };
    const backends: ReturnType<typeof Bun.serve>[] = [];
    let port = 0;
    let statsPort = 0;
    let socket = "";
    let mapFile = "";
    let configFile = "";
    let good = "";
    let workers: number[] = [];
    let restoreMigrateReq = () => {};

    beforeAll(async () => {
      // Requests right after a reload: none may meet a closing listener's reset (docs/master-worker.md).
      restoreMigrateReq = enableMigrateReq();
      for (const name of ["a", "b", "c"] as const) {
        backends.push(Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => (hits[name]++, new Response(name)) }));
      }
      port = await freePort();
      statsPort = await freePort();
      const dir = tempDir();
      socket = join(dir, "master.sock");
      mapFile = join(dir, "hosts.map");
      writeFileSync(mapFile, "");
      configFile = join(dir, "sluice.cfg");
      good = `
global
    workers 2
    hard-stop-after 5s
    stats socket ${socket} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:${port}
    log stderr format raw
    log-format "served-by %pid %ST"
    use_backend %[req.hdr(host),map(${mapFile},app)]
backend other
    server c 127.0.0.1:${backends[2]!.port}
backend app
    balance roundrobin
    server a 127.0.0.1:${backends[0]!.port}
    server b 127.0.0.1:${backends[1]!.port}
listen stats
    bind 127.0.0.1:${statsPort}
    stats enable
    stats uri /stats
    stats admin if TRUE
`;
      writeFileSync(configFile, good);
      run = spawnSluice(target, ["-f", configFile, "--strict-ownership"]);
      let code: number | undefined;
      run.exited.then((c) => (code = c));
      await waitFor(() => code !== undefined || run.errLines.some((l) => l.includes(") ready")), 20000, "the master ready");
      if (code !== undefined) throw new Error(`sluice exited with ${code}:\n${run.errLines.join("\n")}`);
    });

    afterAll(async () => {
      const pids = workers;
      if (run.proc.exitCode === null) await stopSluice(run);
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
      for (const b of backends) b.stop(true);
      restoreMigrateReq();
    });

    test("the master alone listens on the stats port and socket; show proc lists the master and 2 workers", async () => {
      expect(run.errLines.some((l) => /^master \(pid \d+\): stats 'stats' listening on 127\.0\.0\.1:/.test(l))).toBe(true);
      expect(run.errLines.some((l) => /^master \(pid \d+\): runtime API listening on /.test(l))).toBe(true);
      expect(run.errLines.some((l) => /^worker \d+ \(pid \d+\): (stats|runtime API)/.test(l))).toBe(false);
      const proc = parseProc(await cli(socket, "show proc"));
      expect(proc.master).toBe(run.proc.pid);
      expect(proc.reloads).toBe("0 [failed: 0]");
      expect(proc.workers.length).toBe(2);
      workers = proc.workers;
      expect(await cli(socket, "@3 show info")).toBe("Can't find the target PID matching the prefix '@3'\n\n");
      expect(await cli(socket, `@!${workers[1]} show info`)).toContain(`\nPid: ${workers[1]}\n`);
    });

    const N = 40;
    test(`${N} requests over both workers: exact counters in ;csv from the master's listener and in show stat over its socket`, async () => {
      const from = run.errLines.length;
      await requests(port, N);
      await waitFor(() => servingPids(run, from).size === 2, 5000, "both workers serving");
      expect([...servingPids(run, from)].sort()).toEqual([...workers].sort());
      expect(hits.a + hits.b).toBe(N);
      expect(hits.c).toBe(0);
      // The listener reads a cache refreshed every second: within a few seconds it shows all N.
      let rows: Record<string, string>[] = [];
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        rows = parseCsv(await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text());
        if (row(rows, "web", "FRONTEND")?.req_tot === String(N)) break;
        await sleep(200);
      }
      for (const [px, sv, stot] of [["web", "FRONTEND", N], ["app", "BACKEND", N], ["app", "a", hits.a], ["app", "b", hits.b]] as const) {
        expect({ px, sv, stot: row(rows, px, sv)?.stot }).toEqual({ px, sv, stot: String(stot) });
      }
      expect(row(rows, "web", "FRONTEND")?.req_tot).toBe(String(N));
      expect(row(rows, "web", "FRONTEND")?.hrsp_2xx).toBe(String(N));
      // show stat asks the workers afresh.
      const stat = parseCsv(await cli(socket, "show stat"));
      expect(row(stat, "web", "FRONTEND")?.stot).toBe(String(N));
      expect(row(stat, "app", "a")?.stot).toBe(String(hits.a));
      expect(row(stat, "app", "b")?.stot).toBe(String(hits.b));
      const info = await cli(socket, "show info");
      expect(info).toContain("Nbproc: 2\n");
      expect(info).toContain(`Pid: ${run.proc.pid}\n`);
      expect(info).toContain(`CumReq: ${N}\n`);
    });

    test("set server app/a weight 0 on the master's socket: neither worker sends it new connections; add map reroutes on both", async () => {
      expect(await cli(socket, "set server app/a weight 0")).toBe("\n");
      const before = { ...hits };
      const from = run.errLines.length;
      await requests(port, 30);
      expect(servingPids(run, from).size).toBe(2);
      expect(hits.a).toBe(before.a);
      expect(hits.b).toBe(before.b + 30);
      // A map entry added there reroutes on both workers.
      expect(await cli(socket, `add map ${mapFile} x.test other`)).toBe("\n");
      const from2 = run.errLines.length;
      expect(new Set(await requests(port, 20, "x.test"))).toEqual(new Set(["c"]));
      expect(servingPids(run, from2).size).toBe(2);
      // Each worker says so (@N addresses one).
      for (const n of [1, 2]) expect(await cli(socket, `@${n} get weight app/a`)).toBe("0 (initial 1)\n\n");
    });

    test("the weight and the map entry survive a reload on the socket and one by SIGUSR2", async () => {
      expect(await cli(socket, "reload")).toBe("\n");
      let proc = parseProc(await cli(socket, "show proc"));
      expect(proc.reloads).toBe("1 [failed: 0]");
      expect(proc.workers.length).toBe(2);
      for (const pid of proc.workers) expect(workers).not.toContain(pid);
      let before = { ...hits };
      await requests(port, 20);
      expect(hits).toEqual({ ...before, b: before.b + 20 });
      expect(new Set(await requests(port, 10, "x.test"))).toEqual(new Set(["c"]));

      run.kill("SIGUSR2");
      await waitFor(() => run.errLines.some((l) => l.includes("reload done: generation 3 serving")), 20000, "the SIGUSR2 reload");
      proc = parseProc(await cli(socket, "show proc"));
      expect(proc.reloads).toBe("2 [failed: 0]");
      workers = proc.workers;
      before = { ...hits };
      const from = run.errLines.length;
      await requests(port, 20);
      for (const pid of servingPids(run, from)) expect(workers).toContain(pid);
      expect(hits).toEqual({ ...before, b: before.b + 20 });
      expect(new Set(await requests(port, 10, "x.test"))).toEqual(new Set(["c"]));
    }, 60000);

    test("a reload of a bad configuration on the socket answers why; the workers keep serving with their changes", async () => {
      writeFileSync(configFile, good + "    frobnicate yes\n");
      const answer = await cli(socket, "reload");
      writeFileSync(configFile, good);
      expect(answer).toStartWith("reload refused: 1 error in the configuration; the running workers keep serving\n");
      expect(answer).toContain("keyword 'frobnicate' is not supported yet");
      const proc = parseProc(await cli(socket, "show proc"));
      expect(proc.reloads).toBe("2 [failed: 1]");
      expect(proc.workers).toEqual(workers);
      const before = { ...hits };
      await requests(port, 10);
      expect(hits).toEqual({ ...before, b: before.b + 10 });
    });

    test("disable server, then kill -9 a worker: its replacement has the server disabled", async () => {
      expect(await cli(socket, "set server app/a weight 1; disable server app/b")).toBe("\n\n");
      const victim = workers[0]!;
      process.kill(victim, "SIGKILL");
      await waitFor(() => run.errLines.some((l) => /worker \d+ listening \(pid \d+, generation 3\); 3 runtime change\(s\) replayed/.test(l)), 20000, "the replacement");
      const proc = parseProc(await cli(socket, "show proc"));
      expect(proc.workers).not.toContain(victim);
      expect(proc.workers.length).toBe(2);
      // The other worker goes on; the replacement is new.
      expect(proc.workers).toContain(workers[1]!);
      workers = proc.workers;
      // Both workers, the replacement too, send nothing to b.
      const before = { ...hits };
      const from = run.errLines.length;
      await requests(port, 30);
      expect(servingPids(run, from).size).toBe(2);
      expect(hits).toEqual({ ...before, a: before.a + 30 });
      expect(new Set(await requests(port, 10, "x.test"))).toEqual(new Set(["c"]));
      for (const pid of proc.workers) {
        const state = await cli(socket, `@!${pid} show servers state app`);
        // srv_admin_state 1: MAINT, set by the runtime API (HAProxy's SRV_ADMF_FMAINT).
        const fields = state.split("\n").map((l) => l.split(" ")).find((f) => f[1] === "app" && f[3] === "b");
        expect(fields?.[6]).toBe("1");
      }
    }, 60000);

    test("the JSON API and the page's form on the master's listener change both workers' servers, and a new worker gets the change", async () => {
      const api = `http://127.0.0.1:${statsPort}/stats/api/servers`;
      const listed = (await (await fetch(api)).json()) as { servers: { backend: string; server: string; admin: string }[] };
      expect(listed.servers.map((v) => `${v.backend}/${v.server} ${v.admin}`).sort()).toEqual(["app/a READY", "app/b MAINT", "other/c READY"]);
      const post = (path: string, body: unknown) =>
        fetch(`${api}/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      let r = await post("app/b", { state: "ready" });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { admin: string }).admin).toBe("READY");
      let before = { ...hits };
      let from = run.errLines.length;
      await requests(port, 40);
      expect(servingPids(run, from).size).toBe(2);
      expect(hits.a - before.a).toBeGreaterThan(0);
      expect(hits.b - before.b).toBeGreaterThan(0);
      // Errors come with the workers' words.
      r = await post("app/zz", { state: "ready" });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({ error: "No such server." });
      r = await post("app/a", { weight: "x" });
      expect(r.status).toBe(400);
      // The page's form: drain a on both workers.
      r = await fetch(`http://127.0.0.1:${statsPort}/stats`, { method: "POST", body: "b=app&s=a&action=drain", headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });
      expect(r.status).toBe(303);
      expect(r.headers.get("location")).toBe("/stats;st=DONE");
      before = { ...hits };
      from = run.errLines.length;
      await requests(port, 30);
      expect(servingPids(run, from).size).toBe(2);
      expect(hits).toEqual({ ...before, b: before.b + 30 });
      // Recorded as a runtime change: the workers of a reload drain a too.
      expect(await cli(socket, "reload")).toBe("\n");
      workers = parseProc(await cli(socket, "show proc")).workers;
      before = { ...hits };
      from = run.errLines.length;
      await requests(port, 30);
      for (const pid of servingPids(run, from)) expect(workers).toContain(pid);
      expect(hits).toEqual({ ...before, b: before.b + 30 });
    }, 60000);
  });
}
