// The release as a user gets it: `build/release.ts` for all seven targets, run
// twice (same commit → the same bytes, binaries and archives), the layout and
// SHA256SUMS, then each binary as far as this machine can run it:
//   linux-x64      runs here: version, check, a request through it
//   linux-arm64    runs under qemu-user (qemu-aarch64-static -L the arm64 glibc
//                  of Debian's libc6-arm64-cross): version, check, a request
//   *-musl         their headers (Debian packages no musl libstdc++.so.6 /
//                  libgcc_s.so.1 to run them with)
//   darwin, windows their headers (`file`, Mach-O load commands, PE sections)
// Slow (two full releases: minutes), so not in the default `bun test` run:
// .ci/run runs it as `bun test ./tests/release/artifacts.release.ts`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TARGET_NAMES, type TargetName } from "../../build/compile.ts";
import { type Built, release } from "../../build/release.ts";
import { readMachO, readPe } from "./headers.ts";
import { freePort, ROOT, spawnSluice, stopSluice, type Target, tempDir, waitFor } from "../e2e/harness.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const COMMIT = spawnSync("git", ["describe", "--always", "--dirty", "--abbrev=12"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
const EPOCH = Number(spawnSync("git", ["log", "-1", "--format=%ct"], { cwd: ROOT, encoding: "utf8" }).stdout.trim());
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu";
const QEMU = "qemu-aarch64-static";
/** Under qemu the arm64 binary starts in seconds, not milliseconds. */
const START_MS = 60_000;

function run(cmd: string[], cwd = ROOT) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const name = (t: TargetName) => `sluice-${VERSION}-${t}`;
const exe = (t: TargetName) => (t.startsWith("windows") ? "sluice.exe" : "sluice");

let first: string;
let second: string;
let built: Built[];
const timings: string[] = [];

beforeAll(() => {
  first = tempDir();
  second = tempDir();
  let started = performance.now();
  built = release(TARGET_NAMES, first, (line) => timings.push(line));
  timings.push(`release 1 (7 targets): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  started = performance.now();
  release(TARGET_NAMES, second, () => {});
  timings.push(`release 2 (7 targets): ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(timings.join("\n"));
}, 1_800_000);

afterAll(() => {
  rmSync(first, { recursive: true, force: true });
  rmSync(second, { recursive: true, force: true });
});

describe("release layout", () => {
  test("every target: a directory with the binary, README.md and LICENSE, and its archive beside it", () => {
    const expected = TARGET_NAMES.flatMap((t) => [name(t), `${name(t)}${t.startsWith("windows") ? ".zip" : ".tar.gz"}`]);
    expect(readdirSync(first).sort()).toEqual([...expected, "SHA256SUMS"].sort());
    for (const t of TARGET_NAMES) {
      expect(readdirSync(join(first, name(t))).sort()).toEqual(["LICENSE", "README.md", exe(t)].sort());
      for (const doc of ["README.md", "LICENSE"]) {
        expect(readFileSync(join(first, name(t), doc))).toEqual(readFileSync(join(ROOT, doc)));
      }
      expect(statSync(join(first, name(t), exe(t))).mode & 0o777).toBe(0o755);
    }
  });

  test("SHA256SUMS: one line per archive, sorted, and sha256sum -c accepts it", () => {
    const lines = readFileSync(join(first, "SHA256SUMS"), "utf8").trimEnd().split("\n");
    const archives = built.map((b) => b.archive).sort();
    expect(lines.map((l) => l.slice(66))).toEqual(archives);
    for (const line of lines) expect(line.slice(0, 64)).toBe(sha256(join(first, line.slice(66))));
    const check = run(["sha256sum", "--strict", "-c", "SHA256SUMS"], first);
    expect(check.code).toBe(0);
    expect(check.out.trim().split("\n")).toEqual(archives.map((a) => `${a}: OK`));
  });

  test("the tar.gz archives: sorted entries, root-owned, the commit's date, contents equal to the directory", () => {
    for (const t of TARGET_NAMES.filter((x) => !x.startsWith("windows"))) {
      const archive = join(first, `${name(t)}.tar.gz`);
      const list = run(["tar", "--numeric-owner", "--full-time", "-tvzf", archive]);
      expect(list.code).toBe(0);
      const rows = list.out.trim().split("\n").map((l) => l.split(/\s+/));
      expect(rows.map((r) => r.at(-1))).toEqual([`${name(t)}/`, `${name(t)}/LICENSE`, `${name(t)}/README.md`, `${name(t)}/sluice`]);
      expect(rows.map((r) => r[0])).toEqual(["drwxr-xr-x", "-rw-r--r--", "-rw-r--r--", "-rwxr-xr-x"]);
      for (const r of rows) expect(r[1]).toBe("0/0");
      const out = tempDir();
      expect(run(["tar", "-xzf", archive, "-C", out]).code).toBe(0);
      for (const f of ["LICENSE", "README.md", "sluice"]) {
        expect(sha256(join(out, name(t), f))).toBe(sha256(join(first, name(t), f)));
        // GNU tar restores the archive's mtime: the commit's.
        expect(Math.round(statSync(join(out, name(t), f)).mtimeMs / 1000)).toBe(EPOCH);
      }
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("the windows zip: unzip tests it, Unix modes, contents equal to the directory", () => {
    const t: TargetName = "windows-x64";
    const archive = join(first, `${name(t)}.zip`);
    expect(run(["unzip", "-tq", archive]).code).toBe(0);
    const info = run(["unzip", "-Z", archive]).out;
    expect(info).toContain(`drwxr-xr-x  2.0 unx        0 b- stor`);
    expect(info).toMatch(new RegExp(`-rwxr-xr-x  2\\.0 unx +\\d+ b- defN .* ${name(t)}/sluice\\.exe`));
    const out = tempDir();
    expect(run(["unzip", "-q", archive, "-d", out]).code).toBe(0);
    for (const f of ["LICENSE", "README.md", "sluice.exe"]) expect(sha256(join(out, name(t), f))).toBe(sha256(join(first, name(t), f)));
    rmSync(out, { recursive: true, force: true });
  });
});

describe("reproducible", () => {
  test("two releases of the same commit are byte for byte the same (binaries, archives, SHA256SUMS)", () => {
    const differ: string[] = [];
    for (const t of TARGET_NAMES) {
      for (const f of [join(name(t), exe(t)), `${name(t)}${t.startsWith("windows") ? ".zip" : ".tar.gz"}`]) {
        if (sha256(join(first, f)) !== sha256(join(second, f))) differ.push(f);
      }
    }
    expect(differ).toEqual([]);
    expect(readFileSync(join(second, "SHA256SUMS"), "utf8")).toBe(readFileSync(join(first, "SHA256SUMS"), "utf8"));
  });
});

/** sluice -vv's facts as `Key : value` pairs. */
function facts(text: string): Record<string, string> {
  return Object.fromEntries(text.split("\n").filter((l) => l.includes(" : ")).map((l) => [l.split(" : ")[0]!.trim(), l.slice(l.indexOf(" : ") + 3)]));
}

/** One HTTP request through `target` to a backend on loopback; returns the backend's answer as curl saw it. */
async function requestThrough(target: Target): Promise<string> {
  const [frontPort, backPort] = [await freePort(), await freePort()];
  const backend = Bun.serve({ hostname: "127.0.0.1", port: backPort, fetch: (r) => new Response(`backend saw ${new URL(r.url).pathname}`) });
  const dir = tempDir();
  const cfg = join(dir, "sluice.cfg");
  writeFileSync(cfg, `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s

frontend web
    bind 127.0.0.1:${frontPort}
    default_backend app

backend app
    server s1 127.0.0.1:${backPort}
`);
  const sluice = spawnSluice(target, ["-f", cfg]);
  try {
    await waitFor(() => sluice.errLines.some((l) => l.includes(") ready")), START_MS, `${target.name} to start`);
    // Not spawnSync: the backend answers from this process's event loop.
    const curl = Bun.spawn(["curl", "-sS", "--max-time", "30", `http://127.0.0.1:${frontPort}/through`], { stdout: "pipe" });
    const [answer] = await Promise.all([new Response(curl.stdout).text(), curl.exited]);
    return answer;
  } finally {
    expect(await stopSluice(sluice)).toBe(0);
    await backend.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}

function runnable(t: TargetName, prefix: string[]): Target {
  return { name: "binary", command: (args) => [...prefix, join(first, name(t), "sluice"), ...args] };
}

describe("linux-x64 (glibc): runs here", () => {
  const target = () => runnable("linux-x64", []);
  test("version and -vv: the version, commit, date and target it was built with", () => {
    const short = run(target().command(["version"]));
    expect(short.code).toBe(0);
    expect(short.out).toMatch(new RegExp(`^sluice ${VERSION} \\(commit ${COMMIT}, bun [0-9.]+\\)\\n$`));
    const long = facts(run(target().command(["-vv"])).out);
    expect(long["Git commit"]).toBe(COMMIT);
    expect(long["Build date"]).toBe(new Date(EPOCH * 1000).toISOString().replace(/\.000Z$/, "Z"));
    expect(long["Built with"]).toBe("bun build --compile, target linux-x64");
    expect(long["Running on"]).toMatch(/^bun [0-9.]+, linux x64 /);
  });
  test("check", () => {
    const r = run(target().command(["check", "-f", "examples/tcp.cfg"]));
    expect([r.code, r.out, r.err]).toEqual([0, "Configuration file is valid\n", ""]);
  });
  test("a request through it", async () => {
    expect(await requestThrough(target())).toBe("backend saw /through");
  }, START_MS + 30_000);
});

describe("linux-arm64 (glibc): runs under qemu-user", () => {
  const target = () => runnable("linux-arm64", [QEMU, "-L", ARM64_SYSROOT]);
  test("qemu and the arm64 glibc are there (.ci/run installs qemu-user-static and libc6-arm64-cross)", () => {
    expect(run([QEMU, "--version"]).code).toBe(0);
    expect(existsSync(join(ARM64_SYSROOT, "lib/ld-linux-aarch64.so.1"))).toBe(true);
  });
  test("version and -vv say arm64", () => {
    const r = run(target().command(["-vv"]));
    expect(r.code).toBe(0);
    const long = facts(r.out);
    expect(long["Git commit"]).toBe(COMMIT);
    expect(long["Built with"]).toBe("bun build --compile, target linux-arm64");
    expect(long["Running on"]).toMatch(/^bun [0-9.]+, linux arm64 /);
  });
  test("check", () => {
    const r = run(target().command(["check", "-f", "examples/tcp.cfg"]));
    expect([r.code, r.out, r.err]).toEqual([0, "Configuration file is valid\n", ""]);
  });
  test("a request through it", async () => {
    expect(await requestThrough(target())).toBe("backend saw /through");
  }, START_MS + 30_000);
});

/** readelf's facts of an ELF binary: machine, interpreter, needed libraries, sections. */
function elf(path: string) {
  const header = run(["readelf", "-h", "-l", "-d", "-S", "-W", path]).out;
  return {
    machine: header.match(/Machine:\s+(.*)/)?.[1]?.trim(),
    interpreter: header.match(/\[Requesting program interpreter: (.*)\]/)?.[1],
    needed: [...header.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]),
    sections: [...header.matchAll(/\]\s+(\.\S+)\s+(?:PROGBITS|NOBITS|NOTE|DYNAMIC|STRTAB|SYMTAB)/g)].map((m) => m[1]),
  };
}

describe("the other targets, by their headers", () => {
  const sizes = () => Object.fromEntries(built.map((b) => [b.target, b.binaryBytes]));

  test("every binary is 80–130 MiB (Bun's runtime is most of it) and its archive less than 60 % of it", () => {
    for (const b of built) {
      expect(b.binaryBytes).toBeGreaterThan(80 * 2 ** 20);
      expect(b.binaryBytes).toBeLessThan(130 * 2 ** 20);
      expect(b.archiveBytes).toBeLessThan(b.binaryBytes * 0.6);
    }
    expect(Object.keys(sizes()).sort()).toEqual([...TARGET_NAMES].sort());
  });

  test("glibc builds: the glibc loader; musl builds: musl's loader, libstdc++.so.6, and the application's .bun section", () => {
    const expected: Record<string, { machine: string; interpreter: string; needed: string[] }> = {
      "linux-x64": { machine: "Advanced Micro Devices X86-64", interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libc.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0", "libdl.so.2", "libm.so.6"] },
      "linux-arm64": { machine: "AArch64", interpreter: "/lib/ld-linux-aarch64.so.1", needed: ["libc.so.6", "ld-linux-aarch64.so.1", "libpthread.so.0", "libdl.so.2", "libm.so.6"] },
      "linux-x64-musl": { machine: "Advanced Micro Devices X86-64", interpreter: "/lib/ld-musl-x86_64.so.1", needed: ["libstdc++.so.6", "libc.musl-x86_64.so.1"] },
      "linux-arm64-musl": { machine: "AArch64", interpreter: "/lib/ld-musl-aarch64.so.1", needed: ["libstdc++.so.6", "libc.musl-aarch64.so.1"] },
    };
    for (const [t, want] of Object.entries(expected)) {
      const got = elf(join(first, name(t as TargetName), "sluice"));
      expect({ machine: got.machine, interpreter: got.interpreter, needed: got.needed }).toEqual(want);
      expect(got.sections).toContain(".bun");
      const described = run(["file", "-b", join(first, name(t as TargetName), "sluice")]).out;
      expect(described).toStartWith(`ELF 64-bit LSB executable, ${t.includes("arm64") ? "ARM aarch64" : "x86-64"}`);
    }
  });

  test("darwin: 64-bit Mach-O for the right CPU, the __BUN segment, an ad-hoc code signature", () => {
    for (const [t, cpu, fileCpu] of [["darwin-x64", "x86_64", "x86_64"], ["darwin-arm64", "arm64", "arm64"]] as const) {
      const path = join(first, name(t), "sluice");
      expect(run(["file", "-b", path]).out).toStartWith(`Mach-O 64-bit ${fileCpu} executable`);
      const m = readMachO(path);
      expect(m.cpu).toBe(cpu);
      expect(m.segments).toContain("__BUN");
      expect(m.signed).toBe(true);
    }
  });

  test("windows: a PE32+ x86-64 console program with the .bun section", () => {
    const path = join(first, name("windows-x64"), "sluice.exe");
    expect(run(["file", "-b", path]).out).toStartWith("PE32+ executable (console) x86-64, for MS Windows");
    const pe = readPe(path);
    expect(pe.machine).toBe(0x8664);
    expect(pe.subsystem).toBe(3);
    expect(pe.sections).toContain(".bun");
  });
});
