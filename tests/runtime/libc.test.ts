// System's libc calls (src/runtime/libc*.ts) under Bun (bun:ffi) and Deno
// (Deno.dlopen): unix datagrams to a path and to the abstract namespace,
// received by a real socket; dropped, never blocking, when the receiver is
// gone or full; typed errors with errno names; RLIMIT_NOFILE as /proc shows it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindDatagramReceiver, type DatagramReceiver } from "../support/datagram-receiver.ts";

const root = join(import.meta.dir, "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const script = join("tests", "runtime", "libc-checks.ts");
const dir = mkdtempSync(join(tmpdir(), "sluice-libc-"));

let toPath: DatagramReceiver;
let toAbstract: DatagramReceiver;
let full: DatagramReceiver;

beforeAll(async () => {
  toPath = await bindDatagramReceiver(join(dir, "log.sock"));
  toAbstract = await bindDatagramReceiver(`@sluice-libc-test-${process.pid}`);
  full = await bindDatagramReceiver(join(dir, "full.sock"), false);
});

afterAll(() => {
  for (const r of [toPath, toAbstract, full]) r.close();
});

const runtimes: Array<[string, string[]]> = [
  ["bun", [bin("bun"), script]],
  ["deno", [bin("deno"), "run", "-A", script]],
];

describe.each(runtimes)("libc through FFI on %s", (name, cmd) => {
  let report: Record<string, any>;
  beforeAll(() => {
    const run = Bun.spawnSync([...cmd, toPath.path, toAbstract.path, full.path, join(dir, "missing.sock")], { cwd: root });
    const line = run.stdout.toString().trim().split("\n").pop() ?? "";
    if (!line.startsWith("{")) throw new Error(`${name}: no report (exit ${run.exitCode})\n${run.stderr.toString()}`);
    report = JSON.parse(line);
  });

  test("a datagram reaches a socket path and an abstract name", async () => {
    expect(report.sentToPath).toBe(true);
    expect(report.sentToAbstract).toBe(true);
    await toPath.waitForText(`hello from ${name}`, 5000);
    await toAbstract.waitForText(`abstract from ${name}`, 5000);
  });

  test("no receiver, a closed sender, a full receiver: dropped (false), without blocking", () => {
    expect(report.sentToMissing).toBe(false);
    expect(report.sentAfterClose).toBe(false);
    expect(report.full.dropped).toBeGreaterThan(4000);
    expect(report.full.accepted + report.full.dropped).toBe(5000);
    expect(report.full.ms).toBeLessThan(2000);
  });

  test("errors are typed, with the errno's name", () => {
    expect(report.tooLong).toMatchObject({ name: "SystemCallError", code: "ENAMETOOLONG" });
    expect(report.chrootMissing).toMatchObject({ name: "SystemCallError", code: "ENOENT" });
    expect(report.chrootMissing.message).toContain("/nonexistent/jail");
    expect(report.aboveNrOpen).toMatchObject({ name: "SystemCallError", code: "EPERM" });
  });

  test("RLIMIT_NOFILE read and set as /proc/self/limits shows it", () => {
    expect(report.limitBefore.libc).toEqual(report.limitBefore.proc);
    expect(report.limitAfter.libc).toEqual({ soft: 4321, hard: report.limitBefore.proc.hard });
    expect(report.limitAfter.proc).toEqual(report.limitAfter.libc);
  });
});
