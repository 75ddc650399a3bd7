// Issue 19's acceptance: the haproxy.cfg Debian's haproxy package ships runs
// unchanged under sluice (checked byte for byte against the package's own
// checksum of the file). A second -f adds a frontend, as a user's own file
// would beside it (the shipped one has none). As under HAProxy: sluice
// detaches (daemon), drops to the haproxy user and chroots to
// /var/lib/haproxy after binding, answers on its stats socket, and logs the
// request to local0 at info through /dev/log, which after the chroot is
// /var/lib/haproxy/dev/log, the socket Debian's rsyslog makes there for
// HAProxy (/etc/rsyslog.d/49-haproxy.conf); the test plays that socket.
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bindDatagramReceiver } from "../support/datagram-receiver.ts";
import { freePort, selectedTargets, tempDir, waitFor } from "./harness.ts";
import { procStatus, spawnService } from "./process-run.ts";
import { alive } from "./reload-load.ts";

const DEBIAN_CFG = "/etc/haproxy/haproxy.cfg";
const SOCKET = "/run/haproxy/admin.sock";
const CHROOT_LOG = "/var/lib/haproxy/dev/log";

/** The checksum dpkg keeps for the shipped file (its conffiles). */
function shippedMd5(): string {
  const out = Bun.spawnSync(["dpkg-query", "-W", "-f=${Conffiles}\\n", "haproxy"]).stdout.toString();
  const line = out.split("\n").find((l) => l.trim().startsWith(`${DEBIAN_CFG} `));
  if (line === undefined) throw new Error(`dpkg lists no ${DEBIAN_CFG} among haproxy's conffiles:\n${out}`);
  return line.trim().split(/\s+/)[1]!;
}

function idOf(flag: "-u" | "-g", name: string): string {
  return Bun.spawnSync(["id", flag, name]).stdout.toString().trim();
}

async function showInfo(): Promise<string> {
  const proc = Bun.spawn(["socat", "-t", "5", "stdio", `UNIX-CONNECT:${SOCKET}`], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write("show info\n");
  await proc.stdin.end();
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

for (const target of selectedTargets()) {
  describe(`Debian's haproxy.cfg, unchanged (${target.name})`, () => {
    test("detaches, drops to haproxy in its chroot, answers on its socket, logs the request to local0 through the chroot's /dev/log", async () => {
      expect(createHash("md5").update(readFileSync(DEBIAN_CFG)).digest("hex")).toBe(shippedMd5());
      // A socket left by an earlier run would refuse the bind.
      rmSync(CHROOT_LOG, { force: true });
      const log = await bindDatagramReceiver(CHROOT_LOG);
      // As rsyslog makes it: writable by every user (sluice sends as haproxy once it dropped root).
      chmodSync(CHROOT_LOG, 0o666);
      const port = await freePort();
      const extra = join(tempDir(), "site.cfg");
      writeFileSync(extra, `frontend main\n\tbind 127.0.0.1:${port}\n\thttp-request return status 200 content-type text/plain string ok\n`);
      let pid = 0;
      try {
        const run = spawnService(target, ["-f", DEBIAN_CFG, "-f", extra]);
        // `daemon`: the command returns once the detached process serves.
        expect(await run.exited).toBe(0);
        pid = Number(/^Pid: (\d+)$/m.exec(await showInfo())?.[1]);
        expect(alive(pid)).toBe(true);
        expect(procStatus(pid, "Uid")).toEqual(Array(4).fill(idOf("-u", "haproxy")));
        expect(procStatus(pid, "Gid")).toEqual(Array(4).fill(idOf("-g", "haproxy")));
        expect(readlinkSync(`/proc/${pid}/root`)).toBe("/var/lib/haproxy");
        const r = await fetch(`http://127.0.0.1:${port}/`);
        expect(r.status).toBe(200);
        expect(await r.text()).toBe("ok");
        const [line] = await log.waitFor(1, 10000);
        // <134>: local0 (16) × 8 + info (6); the shipped `option httplog` line.
        expect(line).toMatch(new RegExp(`^<134>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d sluice\\[${pid}\\]: 127\\.0\\.0\\.1:\\d+ \\[[^\\]]+\\] main main/<NOSRV> .* 200 .*"GET / HTTP/1\\.1"`));
      } finally {
        if (pid > 0 && alive(pid)) {
          process.kill(pid, "SIGTERM");
          await waitFor(() => !alive(pid), 15000, "sluice to stop");
        }
        log.close();
      }
    }, 60000);
  });
}
