// `option external-check` with real shell scripts as check commands, on
// every target: a script that exits 0 or 1 by a file's presence moves
// traffic between two servers as the files change; the arguments and the
// environment a script receives are HAProxy 2.6's, byte for byte (the same
// script run by haproxy on the same listen section); a script that hangs is
// killed (SIGTERM) when its time is up and the server goes DOWN with
// "External check timeout".
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Backend, freePort, nameBackend, type Run, selectedTargets, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";

const dir = tempDir();
const script = (name: string, body: string) => {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
};
// Shell builtins only: the check's PATH is what `external-check path` says.
script("updown.sh", '[ -e "${0%/*}/up-$HAPROXY_SERVER_NAME" ]');
script("record.sh", 'echo "$*" > "${0%/*}/args-$HAPROXY_PROXY_NAME.tmp"\nenv | sort > "${0%/*}/env-$HAPROXY_PROXY_NAME.tmp"\nmv "${0%/*}/args-$HAPROXY_PROXY_NAME.tmp" "${0%/*}/args-$HAPROXY_PROXY_NAME"\nmv "${0%/*}/env-$HAPROXY_PROXY_NAME.tmp" "${0%/*}/env-$HAPROXY_PROXY_NAME"');
// exec: the pid written is sleep's own, the process SIGTERM must end.
script("hang.sh", 'echo $$ > "${0%/*}/hang-$HAPROXY_SERVER_NAME.pid"\nexec sleep 30');

const GLOBAL = "global\n    external-check\n    insecure-fork-wanted\n";
const DEFAULTS = "defaults\n    mode tcp\n    option log-health-checks\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n";

let a: Backend;
let b: Backend;
beforeAll(async () => {
  a = await nameBackend("A");
  b = await nameBackend("B");
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** What the backend behind `port` answers to one connection. */
function answer(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const s = net.connect(port, "127.0.0.1");
    s.on("data", (d) => (text += d));
    s.on("end", () => resolve(text));
    s.on("error", reject);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const target of selectedTargets()) {
  describe(`external checks (${target.name})`, () => {
    let run: Run | undefined;
    const logged = (re: RegExp) => run!.errLines.some((l) => re.test(l));

    test("a script that exits 0 or 1 by a file's presence marks servers up and down: traffic follows the files", async () => {
      const port = await freePort();
      rmSync(join(dir, "up-b"), { force: true });
      writeFileSync(join(dir, "up-a"), "");
      run = await startSluice(target, `${GLOBAL}${DEFAULTS}frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    option external-check
    external-check command updown.sh
    external-check path ${dir}
    server a 127.0.0.1:${a.port} check inter 200ms rise 1 fall 1
    server b 127.0.0.1:${b.port} check inter 200ms rise 1 fall 1
`);
      try {
        await waitFor(() => logged(/Server be\/b is DOWN/), 5000, "b DOWN");
        expect(run.errLines.find((l) => /Health check for server be\/b failed/.test(l))).toMatch(/reason: External check error, code: 1, check duration: \d+ms, status: 0\/1 DOWN/);
        for (let i = 0; i < 4; i++) expect(await answer(port)).toBe("A");
        writeFileSync(join(dir, "up-b"), "");
        rmSync(join(dir, "up-a"));
        await waitFor(() => logged(/Server be\/a is DOWN/) && logged(/Server be\/b is UP/), 5000, "a DOWN, b UP");
        expect(run.errLines.find((l) => /Health check for server be\/b succeeded/.test(l))).toMatch(/reason: External check passed, code: 0, check duration: \d+ms, status: 1\/1 UP/);
        for (let i = 0; i < 4; i++) expect(await answer(port)).toBe("B");
      } finally {
        await stopSluice(run);
      }
    }, 20000);

    test("the arguments and environment are HAProxy 2.6's: the same script under haproxy writes the same files", async () => {
      const port = await freePort();
      const config = `${GLOBAL}${DEFAULTS}listen li
    bind 127.0.0.1:${port}
    option external-check
    external-check command ${dir}/record.sh
    external-check path /usr/bin:/bin
    server s1 127.0.0.1:${a.port} check inter 200ms maxconn 9
`;
      const files = () => [readFileSync(join(dir, "args-li"), "utf8"), readFileSync(join(dir, "env-li"), "utf8")];
      const clear = () => ["args-li", "env-li"].forEach((f) => rmSync(join(dir, f), { force: true }));
      clear();
      writeFileSync(join(dir, "haproxy.cfg"), config);
      const haproxy = Bun.spawn(["haproxy", "-q", "-f", join(dir, "haproxy.cfg")], { cwd: dir, stdout: "ignore", stderr: "ignore" });
      let reference: string[];
      try {
        await waitFor(() => existsSync(join(dir, "env-li")), 5000, "haproxy's check to run");
        reference = files();
      } finally {
        haproxy.kill("SIGTERM");
        await haproxy.exited;
      }
      clear();
      run = await startSluice(target, config);
      try {
        await waitFor(() => existsSync(join(dir, "env-li")), 5000, "sluice's check to run");
        const [args, env] = files();
        expect(args).toBe(`127.0.0.1 ${port} 127.0.0.1 ${a.port}\n`);
        expect(env).toContain("HAPROXY_SERVER_MAXCONN=9\n");
        expect(env).toContain("PATH=/usr/bin:/bin\n");
        // PWD is the shell's own (its working directory): the rest is what the check passed.
        const withoutPwd = (text: string) => text.split("\n").filter((l) => !l.startsWith("PWD=")).join("\n");
        expect(withoutPwd(env!)).toBe(withoutPwd(reference[1]!));
        expect(args).toBe(reference[0]!);
      } finally {
        await stopSluice(run);
      }
    }, 20000);

    test("a script that hangs is killed when its time is up (min(inter, timeout connect) with timeout check): External check timeout", async () => {
      rmSync(join(dir, "hang-h.pid"), { force: true });
      run = await startSluice(target, `${GLOBAL}${DEFAULTS}backend be
    timeout check 5s
    timeout connect 400ms
    option external-check
    external-check command ${dir}/hang.sh
    external-check path /usr/bin:/bin
    server h 127.0.0.1:${a.port} check inter 3s rise 1 fall 1
`);
      try {
        await waitFor(() => logged(/Server be\/h is DOWN/), 5000, "h DOWN");
        const line = run.errLines.find((l) => /Health check for server be\/h failed/.test(l))!;
        expect(line).toMatch(/reason: External check timeout, check duration: \d+ms, status: 0\/1 DOWN/);
        const ms = Number(/check duration: (\d+)ms/.exec(line)![1]);
        expect(ms).toBeGreaterThanOrEqual(390);
        expect(ms).toBeLessThan(1500);
        const pid = Number(readFileSync(join(dir, "hang-h.pid"), "utf8"));
        await waitFor(() => !alive(pid), 2000, `the hung check (pid ${pid}) to end`);
      } finally {
        await stopSluice(run);
      }
    }, 20000);
  });
}
