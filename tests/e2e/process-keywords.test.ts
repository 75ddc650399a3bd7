// The global process keywords (issue 19) over real processes, as root:
// user/group (and HAProxy's `user` alone, which keeps gid and groups), chroot
// after binding, ulimit-n and the limit derived from maxconn, strict-limits,
// daemon (-D) with pidfile (-p), and -W where the master keeps root and its
// workers drop. Checked in /proc/PID/status, /proc/PID/root, /proc/PID/limits.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, selectedTargets, sleep, type Target, tempDir, waitFor } from "./harness.ts";
import { procStatus, spawnService, waitForLine } from "./process-run.ts";

const NOBODY = "65534";
const config = (port: number, global: string) => `
global
${global}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string ok
`;

/** The target's command under prlimit (a soft file limit of 1024, hard 20000) and setpriv (supplementary groups 4, 24). */
function wrapped(target: Target, groups = true): Target {
  return {
    name: target.name,
    command: (args) => ["prlimit", "--nofile=1024:20000", ...(groups ? ["setpriv", "--groups", "4,24"] : []), ...target.command(args)],
  };
}

function openFiles(pid: number): { soft: number; hard: number } {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.split(/\s+/).slice(3, 5);
  return { soft: Number(soft), hard: Number(hard) };
}

async function get(port: number): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
  return `${r.status} ${await r.text()}`;
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
}

function children(pid: number): number[] {
  const run = Bun.spawnSync(["pgrep", "-P", String(pid)]);
  return run.stdout.toString().trim().split("\n").filter((l) => l !== "").map(Number);
}

/** A runtime API command through socat, as an operator runs it. */
function cli(socket: string, command: string): string {
  const run = Bun.spawnSync(["socat", "-t", "2", "-", `UNIX-CONNECT:${socket}`], { stdin: new TextEncoder().encode(`${command}\n`) });
  return run.stdout.toString();
}

function fieldOf(pid: number, field: string): string[] {
  return procStatus(pid, field);
}

for (const target of selectedTargets()) {
  describe(`process keywords (${target.name})`, () => {
    test("user, group, chroot, ulimit-n: after binding, on every thread; the proxy serves from the jail", async () => {
      const dir = tempDir();
      const jail = join(dir, "jail");
      mkdirSync(jail);
      const port = await freePort();
      const socket = join(dir, "admin.sock");
      writeFileSync(join(dir, "s.cfg"), config(port, `    user nobody\n    group nogroup\n    chroot ${jail}\n    ulimit-n 5000\n    stats socket ${socket} level admin`));
      const run = spawnService(wrapped(target), ["-f", join(dir, "s.cfg")]);
      try {
        await waitForLine(run, ") ready");
        expect(fieldOf(run.pid, "Uid")).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
        expect(fieldOf(run.pid, "Gid")).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
        // `group` drops the supplementary groups (setgroups(0)), as HAProxy does.
        expect(fieldOf(run.pid, "Groups")).toEqual([]);
        for (const task of Bun.spawnSync(["ls", `/proc/${run.pid}/task`]).stdout.toString().trim().split("\n")) {
          expect(procStatus(Number(task), "Uid")).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
        }
        expect(readlinkSync(`/proc/${run.pid}/root`)).toBe(jail);
        // Bun and Deno raise their soft limit to the hard one as they start (measured: 1024 → 20000);
        // ulimit-n 5000 is below it, and HAProxy never lowers the limit.
        expect(openFiles(run.pid)).toEqual({ soft: 20000, hard: 20000 });
        expect(await get(port)).toBe("200 ok");
        // The runtime API's socket was bound before the chroot and the new ids: it still answers.
        expect(cli(socket, "show info")).toContain(`Pid: ${run.pid}`);
        run.kill("SIGTERM");
        expect(await run.exited).toBe(0);
      } finally {
        run.kill("SIGKILL");
      }
    });

    test("user alone keeps the gid and the supplementary groups (HAProxy 2.6, measured); a maxconn beyond the file limit warns", async () => {
      const dir = tempDir();
      const port = await freePort();
      writeFileSync(join(dir, "s.cfg"), config(port, "    user nobody\n    maxconn 15000"));
      const run = spawnService(wrapped(target), ["-f", join(dir, "s.cfg")]);
      try {
        await waitForLine(run, ") ready");
        expect(fieldOf(run.pid, "Uid")).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
        expect(fieldOf(run.pid, "Gid")).toEqual(["0", "0", "0", "0"]);
        expect(fieldOf(run.pid, "Groups")).toEqual(["4", "24"]);
        // 2 × maxconn + 1 listener + 64 for the runtime (src/process/limits.ts), above the hard limit: a warning, no failure.
        expect(run.errLines).toContain(`warning: maxconn 15000 may need ${2 * 15000 + 1 + 64} files; the file limit is 20000 (hard 20000)`);
        expect(openFiles(run.pid)).toEqual({ soft: 20000, hard: 20000 });
        expect(await get(port)).toBe("200 ok");
      } finally {
        run.kill("SIGTERM");
        await run.exited;
      }
    });

    test("ulimit-n above the hard limit: refused under strict-limits (the default), the hard limit taken with no strict-limits", async () => {
      const dir = tempDir();
      const port = await freePort();
      writeFileSync(join(dir, "strict.cfg"), config(port, "    ulimit-n 30000"));
      const strict = spawnService(wrapped(target, false), ["-f", join(dir, "strict.cfg")]);
      expect(await strict.exited).toBe(1);
      expect(strict.errLines.join("\n")).toContain("ulimit-n: cannot raise the file limit to 30000, limit is 20000");
      writeFileSync(join(dir, "lax.cfg"), config(port, "    ulimit-n 30000\n    no strict-limits"));
      const lax = spawnService(wrapped(target, false), ["-f", join(dir, "lax.cfg")]);
      try {
        await waitForLine(lax, ") ready");
        expect(lax.errLines.join("\n")).toContain("warning: ulimit-n 30000; the file limit is 20000 (hard 20000)");
        expect(openFiles(lax.pid)).toEqual({ soft: 20000, hard: 20000 });
      } finally {
        lax.kill("SIGTERM");
        await lax.exited;
      }
    });

    test("a chroot that cannot be done stops the start, naming the keyword, the runtime and the errno", async () => {
      const dir = tempDir();
      const port = await freePort();
      writeFileSync(join(dir, "s.cfg"), config(port, "    chroot /nonexistent/jail"));
      const run = spawnService(target, ["-f", join(dir, "s.cfg")]);
      expect(await run.exited).toBe(1);
      const runtime = target.name === "deno" ? "deno" : "bun";
      expect(run.errLines.join("\n")).toContain(
        `sluice: cannot start: cannot apply 'chroot /nonexistent/jail' (${runtime}): chroot(/nonexistent/jail) failed: ENOENT`,
      );
    });

    test("-D with -p: the command returns once the daemon serves; new session, no terminal, pidfile kept at stop (as HAProxy)", async () => {
      const dir = tempDir();
      const port = await freePort();
      const pidfile = join(dir, "sluice.pid");
      writeFileSync(join(dir, "s.cfg"), config(port, "    user nobody"));
      const run = spawnService(target, ["-D", "-p", pidfile, "-f", join(dir, "s.cfg")]);
      expect(await run.exited).toBe(0);
      const pid = Number(readFileSync(pidfile, "utf8").trim());
      try {
        expect(pid).not.toBe(run.pid);
        expect(alive(pid)).toBe(true);
        // Its own session (setsid) and process group.
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
        expect([Number(stat[2]), Number(stat[3])]).toEqual([pid, pid]);
        for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${pid}/fd/${fd}`)).toBe("/dev/null");
        expect(fieldOf(pid, "Uid")[0]).toBe(NOBODY);
        expect(await get(port)).toBe("200 ok");
        expect(run.errLines.join("\n")).toContain(") ready");
      } finally {
        process.kill(pid, "SIGTERM");
        await waitFor(() => !alive(pid), 10000, "the daemon to stop");
      }
      expect(existsSync(pidfile)).toBe(true);
    });

    test("daemon that cannot start: the command exits with its code and its errors", async () => {
      const dir = tempDir();
      const port = await freePort();
      const blocker = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      try {
        writeFileSync(join(dir, "s.cfg"), config(port, "    daemon"));
        const run = spawnService(target, ["-f", join(dir, "s.cfg")]);
        expect(await run.exited).toBe(1);
        expect(run.errLines.join("\n")).toContain("cannot start");
      } finally {
        blocker.stop(true);
      }
    });

    test("-W with daemon, pidfile, user, chroot: the master detaches and keeps root, its workers drop; the pidfile goes at stop", async () => {
      const dir = tempDir();
      const jail = join(dir, "jail");
      mkdirSync(jail);
      const port = await freePort();
      const pidfile = join(dir, "master.pid");
      const socket = join(dir, "master.sock");
      writeFileSync(join(dir, "s.cfg"), config(port, `    workers 2\n    daemon\n    pidfile ${pidfile}\n    user nobody\n    group nogroup\n    chroot ${jail}\n    stats socket ${socket} level admin`));
      const run = spawnService(target, ["-W", "-f", join(dir, "s.cfg")]);
      expect(await run.exited).toBe(0);
      const master = Number(readFileSync(pidfile, "utf8").trim());
      try {
        expect(alive(master)).toBe(true);
        expect(fieldOf(master, "Uid")[0]).toBe("0");
        expect(readlinkSync(`/proc/${master}/root`)).toBe("/");
        let workers: number[] = [];
        await waitFor(() => {
          workers = children(master).filter((w) => alive(w) && fieldOf(w, "Uid")[0] === NOBODY);
          return workers.length === 2;
        }, 15000, "two workers as nobody");
        for (const w of workers) {
          expect(fieldOf(w, "Gid")).toEqual([NOBODY, NOBODY, NOBODY, NOBODY]);
          expect(readlinkSync(`/proc/${w}/root`)).toBe(jail);
          for (const fd of [0, 1, 2]) expect(readlinkSync(`/proc/${w}/fd/${fd}`)).toBe("/dev/null");
        }
        expect(await get(port)).toBe("200 ok");
        // The master's runtime API (the master kept root): its workers, and a command forwarded to one.
        const procs = cli(socket, "show proc");
        for (const w of workers) expect(procs).toContain(String(w));
        expect(cli(socket, "@1 show info")).toContain("Pid: ");
      } finally {
        process.kill(master, "SIGTERM");
        await waitFor(() => !alive(master), 15000, "the master to stop");
      }
      expect(existsSync(pidfile)).toBe(false);
    }, 60000);

    test("a pidfile in the foreground without -W is not written (as HAProxy), and says so", async () => {
      const dir = tempDir();
      const port = await freePort();
      const pidfile = join(dir, "fg.pid");
      writeFileSync(join(dir, "s.cfg"), config(port, `    pidfile ${pidfile}`));
      const run = spawnService(target, ["-f", join(dir, "s.cfg")]);
      try {
        await waitForLine(run, ") ready");
        await sleep(100);
        expect(existsSync(pidfile)).toBe(false);
        expect(run.errLines.join("\n")).toContain("written in daemon or master-worker mode only");
      } finally {
        run.kill("SIGTERM");
        await run.exited;
      }
    });
  });
}
