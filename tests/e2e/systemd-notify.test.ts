// systemd's notify protocol on a socket the test binds (as systemd would for
// Type=notify): READY=1 with MAINPID once listening, STOPPING=1 at a stop; under
// -W from the master only, READY once its workers listen, RELOADING=1 with
// MONOTONIC_USEC and READY=1 again at each reload (a refused one too). A path
// socket for the single process, an abstract one ('@...') for the master.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, selectedTargets, tempDir } from "./harness.ts";
import { bindDatagramReceiver, type DatagramReceiver } from "../support/datagram-receiver.ts";
import { type ServiceRun, spawnService, waitForLine } from "./process-run.ts";

const config = (port: number, extra = "") => `
global
${extra}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend web
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string ok
`;

const ready = (pid: number) => `READY=1\nMAINPID=${pid}\nSTATUS=Ready.\n`;
const STOPPING = "STOPPING=1\nSTATUS=Stopping.\n";

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** CLOCK_MONOTONIC now, in µs, as /proc/uptime approximates it (same clock, seconds since boot). */
function monotonicMicrosApprox(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6;
}

for (const target of selectedTargets()) {
  describe(`sd_notify (${target.name})`, () => {
    let receiver: DatagramReceiver | undefined;
    let run: ServiceRun | undefined;
    /** `count` datagrams, or an error with what sluice printed. */
    const datagrams = (count: number, ms: number) =>
      receiver!.waitFor(count, ms).catch((e: Error) => {
        throw new Error(`${e.message}\n${run?.errLines.join("\n")}`);
      });
    afterEach(async () => {
      run?.kill("SIGKILL");
      await run?.exited;
      receiver?.close();
      run = receiver = undefined;
    });

    test("single process: READY=1 with MAINPID once listening, STOPPING=1 at SIGTERM, nothing for a refused reload", async () => {
      const dir = tempDir();
      const port = await freePort();
      receiver = await bindDatagramReceiver(join(dir, "notify.sock"));
      writeFileSync(join(dir, "sluice.cfg"), config(port));
      run = spawnService(target, ["-f", join(dir, "sluice.cfg")], { NOTIFY_SOCKET: receiver.path });
      const [first] = await datagrams(1, 15000);
      expect(first).toBe(ready(run.pid));
      expect(await connects(port)).toBe(true);
      run.kill("SIGUSR2");
      await waitForLine(run, "SIGUSR2: reloading needs the master-worker mode");
      run.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      await datagrams(2, 5000);
      expect(receiver.datagrams).toEqual([ready(run.pid), STOPPING]);
    });

    test("-W, abstract socket: the master's READY after its workers listen, RELOADING+READY per reload, STOPPING", async () => {
      const dir = tempDir();
      const port = await freePort();
      receiver = await bindDatagramReceiver(`@sluice-notify-${process.pid}-${target.name}`);
      const file = join(dir, "sluice.cfg");
      writeFileSync(file, config(port, "    workers 2"));
      run = spawnService(target, ["-W", "-f", file], { NOTIFY_SOCKET: receiver.path });
      await datagrams(1, 20000);
      expect(receiver.datagrams[0]).toBe(ready(run.pid));
      // READY came once the workers listen: the port answers at once.
      expect(await connects(port)).toBe(true);

      const before = monotonicMicrosApprox();
      run.kill("SIGUSR2");
      await datagrams(3, 20000);
      const after = monotonicMicrosApprox();
      const reloading = /^RELOADING=1\nSTATUS=Reloading Configuration\.\nMONOTONIC_USEC=(\d+)\n$/.exec(receiver.datagrams[1]!);
      expect(reloading).not.toBeNull();
      const usec = Number(reloading![1]);
      // /proc/uptime has 10 ms steps.
      expect(usec).toBeGreaterThanOrEqual(before - 20_000);
      expect(usec).toBeLessThanOrEqual(after + 20_000);
      expect(receiver.datagrams[2]).toBe(ready(run.pid));
      await waitForLine(run, "reload done");

      // A refused reload still ends in READY=1: systemd would otherwise wait in "reloading".
      writeFileSync(file, "global\n    no-such-keyword\n");
      run.kill("SIGUSR2");
      await datagrams(5, 20000);
      expect(receiver.datagrams[3]).toStartWith("RELOADING=1\n");
      expect(receiver.datagrams[4]).toBe(ready(run.pid));

      run.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      await datagrams(6, 5000);
      expect(receiver.datagrams[5]).toBe(STOPPING);
      // The workers told systemd nothing.
      expect(receiver.datagrams.length).toBe(6);
    }, 60000);
  });
}
