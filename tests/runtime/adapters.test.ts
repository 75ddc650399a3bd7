// Runs the adapter conformance checks (conformance.ts) in a Bun child and in a
// Deno child, and reports each check as its own test per runtime.
import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { allCheckNames, type CheckResult } from "./conformance.ts";

const root = join(import.meta.dir, "..", "..");
const script = join("tests", "runtime", "conformance.ts");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

interface Report {
  runtime: string;
  version: string;
  uncaught: string[];
  results: CheckResult[];
}

interface Run {
  report?: Report;
  /** Why there is no report: the child crashed, hung or printed no JSON. */
  failure?: string;
}

const RUN_TIMEOUT_MS = 120_000;

async function runConformance(cmd: string[]): Promise<Run> {
  const child = Bun.spawn(cmd, {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const timer = setTimeout(() => child.kill(), RUN_TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  const line = stdout.trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (line === undefined) {
    return { failure: `${cmd.join(" ")} exited ${code} without a report\n${stderr.slice(-4000)}` };
  }
  try {
    return { report: JSON.parse(line) as Report };
  } catch (e) {
    return { failure: `unreadable report (${e}): ${line.slice(0, 500)}` };
  }
}

const runtimes: Array<[string, string[]]> = [
  ["bun", [bin("bun"), script]],
  ["deno", [bin("deno"), "run", "-A", script]],
];

const names = [...allCheckNames, "no-unhandled-rejections"];

/**
 * Where a runtime is known to break the Socket contract, and how: such a
 * check may pass, but if it fails it must fail in exactly that way (any
 * other failure fails the test). Deno's node:tls (the only TLS server API
 * with SNI on Deno) completes write callbacks before the bytes reach the
 * kernel and reads from the kernel while paused, so a writer towards a slow
 * TLS peer on Deno is never held back: its bytes are buffered in Deno's TLS
 * layer (docs/tls.md).
 */
const KNOWN_GAPS: Record<string, Record<string, string>> = {
  deno: {
    "tls/backpressure": "bytes accepted while the reader was paused",
    "tls/big-write": "pending fell to 0 while the reader was paused",
  },
};

for (const [runtime, cmd] of runtimes) {
  describe(runtime, () => {
    let run: Run = {};
    beforeAll(async () => {
      run = await runConformance(cmd);
    }, RUN_TIMEOUT_MS + 5_000);

    test("reports on itself", () => {
      if (run.failure !== undefined) throw new Error(run.failure);
      expect(run.report?.runtime).toBe(runtime);
      expect(run.report?.uncaught).toEqual([]);
    });

    for (const name of names) {
      test(name, () => {
        if (run.failure !== undefined) throw new Error(run.failure);
        const result = run.report?.results.find((r) => r.name === name);
        if (result === undefined) throw new Error(`no result for ${name}`);
        const gap = KNOWN_GAPS[runtime]?.[name];
        if (gap !== undefined && !result.ok) {
          expect(result.error ?? "").toContain(gap);
          return;
        }
        if (!result.ok) throw new Error(`${name} on ${runtime}: ${result.error}`);
        expect(result.ok).toBe(true);
      });
    }
  });
}
