// sluice as a system service runs it: with an environment of its own
// (NOTIFY_SOCKET), a working directory, maybe as another user. The harness's
// spawnSluice inherits the test's environment; this adds to it.
import { readFileSync } from "node:fs";
import { type Target, waitFor } from "./harness.ts";

export interface ServiceRun {
  readonly pid: number;
  readonly errLines: string[];
  readonly exited: Promise<number>;
  exitCode(): number | undefined;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnService(target: Target, args: string[], env: Record<string, string> = {}, cwd?: string): ServiceRun {
  const proc = Bun.spawn(target.command(args), {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const errLines: string[] = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let partial = "";
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const parts = (partial + decoder.decode(value, { stream: true })).split("\n");
      partial = parts.pop()!;
      errLines.push(...parts);
    }
    if (partial) errLines.push(partial);
  };
  const done = Promise.all([drain(proc.stderr as ReadableStream<Uint8Array>), drain(proc.stdout as ReadableStream<Uint8Array>)]);
  let code: number | undefined;
  const exited = proc.exited.then(async (c) => {
    await done;
    code = c;
    return c;
  });
  return { pid: proc.pid, errLines, exited, exitCode: () => code, kill: (signal = "SIGTERM") => proc.kill(signal) };
}

/** Waits for a line containing `text` (rejects if the process exits first). */
export async function waitForLine(run: ServiceRun, text: string, ms = 15000): Promise<void> {
  await waitFor(() => run.exitCode() !== undefined || run.errLines.some((l) => l.includes(text)), ms, `'${text}'`);
  if (!run.errLines.some((l) => l.includes(text))) {
    throw new Error(`exited ${run.exitCode()} before '${text}':\n${run.errLines.join("\n")}`);
  }
}

/** A field of /proc/PID/status ("Uid", "Gid", "Groups"), its values. */
export function procStatus(pid: number, field: string): string[] {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const line = text.split("\n").find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return line.slice(field.length + 1).trim().split(/\s+/).filter((v) => v !== "");
}
