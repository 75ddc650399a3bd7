// Run inside Bun and inside Deno (libc.test.ts starts both): the libc calls
// of System through that runtime's FFI. Prints one JSON report on stdout.
// argv: a datagram socket path that reads, an abstract name that reads, one that never reads.
import { readFileSync } from "node:fs";
import type { HostRuntime } from "../../src/runtime/types.ts";

const DENO_HOST = "../../src/runtime/deno-host.ts";
const system: HostRuntime = "Bun" in globalThis
  ? (await import("../../src/runtime/bun.ts")).bunRuntime
  : ((await import(DENO_HOST)) as { denoRuntime: HostRuntime }).denoRuntime;
const [pathReceiver, abstractReceiver, fullReceiver, missing] = system.args();
const report: Record<string, unknown> = { runtime: system.name };
const errorOf = (fn: () => void) => {
  try {
    fn();
    return "no error";
  } catch (e) {
    return { name: (e as Error).name, code: (e as { code?: string }).code, message: (e as Error).message };
  }
};
const text = (s: string) => new TextEncoder().encode(s);

const toPath = system.openUnixDatagram(pathReceiver!);
report.sentToPath = toPath.send(text(`hello from ${system.name}`));
toPath.close();
report.sentAfterClose = toPath.send(text("late"));
const toAbstract = system.openUnixDatagram(abstractReceiver!);
report.sentToAbstract = toAbstract.send(text(`abstract from ${system.name}`));
toAbstract.close();
const toMissing = system.openUnixDatagram(missing!);
report.sentToMissing = toMissing.send(text("nobody"));
toMissing.close();

// A receiver that never reads: sends start failing once its queue is full, at once, without blocking.
const toFull = system.openUnixDatagram(fullReceiver!);
const started = performance.now();
let accepted = 0;
let dropped = 0;
for (let i = 0; i < 5000; i++) {
  if (toFull.send(text(`datagram ${i}`))) accepted++;
  else dropped++;
}
report.full = { accepted, dropped, ms: performance.now() - started };
toFull.close();

report.tooLong = errorOf(() => system.openUnixDatagram("/tmp/" + "x".repeat(200)));
report.chrootMissing = errorOf(() => system.chroot("/nonexistent/jail"));

/** RLIMIT_NOFILE as the kernel shows it. */
const limits = () => {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  const [soft, hard] = line.split(/\s+/).slice(3, 5);
  return { soft: Number(soft), hard: Number(hard) };
};
const before = system.fileLimit();
report.limitBefore = { libc: before, proc: limits() };
system.setFileLimit({ soft: 4321, hard: before.hard });
report.limitAfter = { libc: system.fileLimit(), proc: limits() };
// Above fs.nr_open even root is refused.
const nrOpen = Number(readFileSync("/proc/sys/fs/nr_open", "utf8"));
report.aboveNrOpen = errorOf(() => system.setFileLimit({ soft: nrOpen + 1, hard: nrOpen + 1 }));

console.log(JSON.stringify(report));
