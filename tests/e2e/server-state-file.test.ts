// Server-state files, as an operator reloads HAProxy: a running sluice is
// changed through its runtime API (socat), its `show servers state` is saved
// to a file, and a new sluice started with `load-server-state-from-file`
// comes up with the same weights, maintenance, drain, address and port, and
// DOWN servers (the same lines as haproxy -db: "changed from server-state
// after a reload", "remains in forced drain mode"). `local` reads the
// backend's own file under server-state-base; a missing file only warns.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { socat } from "./runtime-socket.ts";

/** The state lines without the columns a restart changes (proxy id, seconds since the last change). */
function comparable(state: string): string[] {
  return state.split("\n").filter((l) => /^\d+ /.test(l)).map((l) => {
    const f = l.split(" ");
    f[0] = "-";
    f[9] = "-";
    return f.join(" ");
  });
}

function config(dir: string, socket: string, port: number, load: string, global = ""): string {
  return `global
    stats socket ${socket} level admin
${global}defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
${load}frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server s1 127.0.0.1:8080 weight 10
    server s2 127.0.0.1:8081 weight 10
    server s3 localhost:8082 weight 10
    server s4 127.0.0.1:8083 check inter 200ms
`;
}

for (const target of selectedTargets()) {
  describe(`server-state files (${target.name})`, () => {
    const runs: Run[] = [];
    afterEach(async () => {
      for (const r of runs.splice(0)) await stopSluice(r);
    });

    test("show servers state saved from one sluice restores weights, maint, drain, address, port and DOWN in the next (global file)", async () => {
      const dir = tempDir();
      const first = join(dir, "first.sock");
      const a = await startSluice(target, config(dir, first, await freePort(), ""));
      runs.push(a);
      expect(await socat(first, "set server be/s1 weight 5\n")).toBe("\n");
      await socat(first, "set server be/s2 state drain\n");
      expect(await socat(first, "set server be/s3 addr 127.0.0.7 port 9082\n")).toContain("IP changed from '127.0.0.1' to '127.0.0.7'");
      await socat(first, "disable server be/s1\n");
      // s4's check (nothing listens on 8083) takes it DOWN.
      await waitFor(() => a.errLines.some((l) => l.startsWith("Server be/s4 is DOWN")), 5000, "s4 DOWN");
      const saved = await socat(first, "show servers state\n");
      writeFileSync(join(dir, "servers.state"), saved);
      expect(comparable(saved)).toEqual([
        "- be 1 s1 127.0.0.1 0 1 5 10 - 1 0 0 8 0 0 0 - 8080 - 0 0 - - 0",
        "- be 2 s2 127.0.0.1 2 8 10 10 - 1 0 0 0 0 0 0 - 8081 - 0 0 - - 0",
        "- be 3 s3 127.0.0.7 2 0 10 10 - 1 0 0 0 0 0 0 localhost 9082 - 0 0 - - 0",
        "- be 4 s4 127.0.0.1 0 0 1 1 - 8 2 0 6 0 0 0 - 8083 - 0 0 - - 0",
      ]);

      const second = join(dir, "second.sock");
      const b = await startSluice(target, config(dir, second, await freePort(), "    load-server-state-from-file global\n", `    server-state-base ${dir}\n    server-state-file servers.state\n`));
      runs.push(b);
      expect(comparable(await socat(second, "show servers state\n"))).toEqual(comparable(saved));
      await waitFor(() => b.errLines.some((l) => l.startsWith("Server be/s4")), 5000, "the restore's lines");
      expect(b.errLines.filter((l) => l.startsWith("Server be/"))).toEqual([
        "Server be/s1 is DOWN, changed from server-state after a reload. 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
        "Server be/s2 remains in forced drain mode.",
        "Server be/s4 is DOWN, changed from server-state after a reload. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.",
      ]);
      expect(await socat(second, "get weight be/s1\n")).toBe("5 (initial 10)\n\n");
    });

    test("local: the backend's own file under server-state-base (its name by default); a changed configured weight wins; a missing file warns and starts", async () => {
      const dir = tempDir();
      writeFileSync(join(dir, "be"), "1\n# header\n3 be 1 s1 127.0.0.1 2 0 7 10 30 1 0 0 0 0 0 0 - 8080 - 0 0 - - 0\n3 be 2 s2 127.0.0.1 2 0 3 99 30 1 0 0 0 0 0 0 - 8081 - 0 0 - - 0\n3 gone 1 x 127.0.0.1 2 1 1 1 30 1 0 0 0 0 0 0 - 80 - 0 0 - - 0\n");
      const socket = join(dir, "s.sock");
      const run = await startSluice(target, config(dir, socket, await freePort(), "    load-server-state-from-file local\n", `    server-state-base ${dir}/\n`));
      runs.push(run);
      expect(await socat(socket, "get weight be/s1\n")).toBe("7 (initial 10)\n\n");
      // s2's configured weight was 99 when saved, 10 now: the configuration wins.
      expect(await socat(socket, "get weight be/s2\n")).toBe("10 (initial 10)\n\n");

      const missing = join(dir, "m.sock");
      const other = await startSluice(target, config(dir, missing, await freePort(), "    load-server-state-from-file global\n", `    server-state-file ${dir}/nothing-here\n`));
      runs.push(other);
      await waitFor(() => other.errLines.some((l) => l.includes("Can't open global server state file")), 5000, "the warning");
      expect(other.errLines.find((l) => l.includes("Can't open global server state file"))).toBe(`Can't open global server state file '${dir}/nothing-here': No such file or directory`);
      expect(await socat(missing, "get weight be/s1\n")).toBe("10 (initial 10)\n\n");
    });
  });
}
