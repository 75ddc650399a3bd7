// The scratch image, run as a container runs it, without a container engine:
// the image built by `npm run image` (dist/image/oci), its layer unpacked by
// umoci, its entrypoint and user read from its config, run in a root of its
// own (chroot) with its own PID namespace (sluice is PID 1: no default signal
// actions, it reaps its children), the root read-only, /tmp a fresh tmpfs,
// /proc and a minimal /dev mounted as runtimes do. The network namespace is
// shared, so the backend outside is a real server on 127.0.0.1. Needs root,
// umoci, skopeo, unshare; the arm64 binary runs under qemu-aarch64-static.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:https";
import { freePort, ROOT, sleep, tempDir, waitFor } from "./harness.ts";
import { ARCH_NAMES, filesFor, readImageFiles } from "../../build/image/files.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const LAYOUT = join(ROOT, "dist/image/oci");

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Cmd: string[];
  Env: string[];
  StopSignal: string;
  ExposedPorts: Record<string, unknown>;
  Labels: Record<string, string>;
  Healthcheck?: { Test: string[] };
}

function sh(argv: string[], cwd = ROOT): string {
  const p = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${p.exitCode}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

const blob = (digest: string) => JSON.parse(readFileSync(join(LAYOUT, "blobs/sha256", digest.replace("sha256:", "")), "utf8"));

function imageOf(arch: string): { config: ImageConfig; os: string; architecture: string } {
  const index = JSON.parse(readFileSync(join(LAYOUT, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const desc = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === `${VERSION}-${arch}`)!;
  const manifest = blob(desc.digest) as { config: { digest: string } };
  return blob(manifest.config.digest);
}

/** The image's root, unpacked by umoci as a runtime would, plus the mount points a runtime adds (/proc, /dev). */
function unpack(arch: string): string {
  const dir = join(tempDir(), `rootfs-${arch}`);
  sh(["umoci", "raw", "unpack", "--image", `${LAYOUT}:${VERSION}-${arch}`, dir]);
  for (const m of ["proc", "dev"]) mkdirSync(join(dir, m));
  return dir;
}

interface Contained {
  /** The host's pid of the process that is PID 1 inside. */
  hostPid(): number;
  lines: string[];
  exited: Promise<number>;
  signal(name: string): void;
}

/**
 * Runs `argv` (the image's entrypoint and arguments) as PID 1 of a new PID
 * and mount namespace, chrooted into `rootfs` made read-only, as `user`,
 * with `mounts` (host file, file in the image) bound over the image's files
 * (as `docker run -v`), and only `env` in its environment.
 */
function runContained(rootfs: string, user: string, argv: string[], mounts: [string, string][] = [], env: string[] = []): Contained {
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const script = [
    "set -e",
    `R=${q(rootfs)}`,
    'mount --bind "$R" "$R"',
    'mount -t proc proc "$R/proc"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/dev"',
    'for d in null zero random urandom; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done',
    'mount -o remount,bind,ro "$R"',
    'mount -t tmpfs -o mode=1777,size=16m tmpfs "$R/tmp"',
    // Over a file of the image, or a new one in /tmp (the one writable place).
    ...mounts.map(([from, to]) => `[ -e "$R${to}" ] || touch "$R${to}"; mount --bind -o ro ${q(from)} "$R${to}"`),
    // A container's environment: nothing of this machine's (its CA settings included).
    'C=$(command -v chroot)',
    `exec env -i ${env.map(q).join(" ")} "$C" --userspec=${user} "$R" ${argv.map(q).join(" ")}`,
  ].join("\n");
  const proc = Bun.spawn(["unshare", "--fork", "--pid", "--mount", "--propagation", "private", "sh", "-c", script], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const lines: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const d = new TextDecoder();
    let part = "";
    const reader = s.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const all = (part + d.decode(value, { stream: true })).split("\n");
      part = all.pop()!;
      lines.push(...all);
    }
    if (part) lines.push(part);
  };
  const pumped = Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>), pump(proc.stderr as ReadableStream<Uint8Array>)]);
  // unshare --fork: its child is the namespace's PID 1 (sh, which execs chroot, which execs sluice).
  const hostPid = () => Number(readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, "utf8").trim().split(" ")[0]);
  return {
    hostPid,
    lines,
    exited: proc.exited.then(async (c) => (await pumped, c)),
    signal: (name) => process.kill(hostPid(), name),
  };
}

function statusOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const c = l.indexOf(":");
    if (c > 0) out[l.slice(0, c)] = l.slice(c + 1).trim();
  }
  return out;
}

/** Host pids of the children of `pid`, with their state letter. */
function children(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = statusOf(Number(e));
      if (Number(s.PPid) === pid) out.push({ pid: Number(e), state: s.State!.charAt(0) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("the scratch image, run as a container", () => {
  let server: Server;
  let backendPort = 0;
  let rootfs = "";
  let image: { config: ImageConfig; os: string; architecture: string };

  beforeAll(async () => {
    // The image is rebuilt when sources changed since (npm run image; the binaries by the release script).
    const index = join(LAYOUT, "index.json");
    const stale = !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(join(ROOT, "src")), newest(join(ROOT, "build/image")));
    if (stale) sh([process.execPath, "build/image.ts"]);
    image = imageOf("amd64");
    rootfs = unpack("amd64");
    server = createServer((req, res) => {
      const slow = req.url === "/slow";
      setTimeout(() => res.end(`backend outside: ${req.url}`), slow ? 1500 : 0);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    backendPort = (server.address() as AddressInfo).port;
  }, 600_000);

  afterAll(() => {
    server?.close();
    if (rootfs) rmSync(rootfs, { recursive: true, force: true });
  });

  test("its config: entrypoint, user 65532, ports, SIGTERM, labels, health check by sluice probe", () => {
    const c = image.config;
    expect([image.os, image.architecture]).toEqual(["linux", "amd64"]);
    expect(c.User).toBe("65532:65532");
    expect(c.Entrypoint).toEqual(["/usr/bin/sluice"]);
    expect(c.Cmd).toEqual(["run", "-f", "/etc/sluice/sluice.cfg"]);
    expect(Object.keys(c.ExposedPorts).sort()).toEqual(["8080/tcp", "8404/tcp"]);
    expect(c.StopSignal).toBe("SIGTERM");
    // Bun's allocator tuned from the start: sluice need not execute itself again (src/runtime/bun-allocator.ts).
    expect(c.Env).toContain("MIMALLOC_PURGE_HOLES=0");
    expect(c.Labels["org.opencontainers.image.version"]).toBe(VERSION);
    expect(c.Labels["org.opencontainers.image.revision"]).toMatch(/^[0-9a-f]{40}$/);
    expect(c.Labels["org.opencontainers.image.licenses"]).toBe("MIT");
    expect(c.Healthcheck?.Test.slice(0, 3)).toEqual(["CMD", "/usr/bin/sluice", "probe"]);
    // The passwd entry of the image's user, and nothing but the listed files.
    expect(readFileSync(join(rootfs, "etc/passwd"), "utf8")).toContain("sluice:x:65532:65532:");
    expect((statSync(join(rootfs, "tmp")).mode & 0o7777).toString(8)).toBe("1777");
  });

  test("the default configuration loads in the image; the docker-archive tars hold one image each", () => {
    const run = runContained(rootfs, image.config.User, [...image.config.Entrypoint, "check", "-f", "/etc/sluice/sluice.cfg"]);
    return run.exited.then((code) => {
      expect(run.lines).toContain("Configuration file is valid");
      expect(code).toBe(0);
      for (const arch of ["amd64", "arm64"]) {
        const tar = join(ROOT, `dist/image/sluice-${VERSION}-linux-${arch}.docker.tar`);
        const manifest = JSON.parse(sh(["tar", "-xOf", tar, "manifest.json"])) as { Config: string; RepoTags: string[]; Layers: string[] }[];
        expect(manifest).toHaveLength(1);
        expect(manifest[0]!.RepoTags).toEqual([`docker.io/library/sluice:${VERSION}`]);
        expect(manifest[0]!.Layers).toHaveLength(1);
        const config = JSON.parse(sh(["tar", "-xOf", tar, manifest[0]!.Config])) as { architecture: string; config: ImageConfig };
        expect(config.architecture).toBe(arch);
        expect(config.config.Healthcheck?.Test).toEqual(image.config.Healthcheck!.Test);
      }
    });
  });

  test("PID 1, read-only root: serves a request to a backend outside, SIGTERM lets the slow one finish", async () => {
    const port = await freePort();
    const cfg = join(tempDir(), "sluice.cfg");
    writeFileSync(cfg, [
      "defaults", "    mode http", "    option httplog", "    timeout connect 2s", "    timeout client 10s", "    timeout server 10s",
      "frontend web", `    bind 127.0.0.1:${port}`, "    monitor-uri /healthz", "    default_backend app",
      "backend app", `    server b 127.0.0.1:${backendPort}`, "",
    ].join("\n"));
    const run = runContained(rootfs, image.config.User, [...image.config.Entrypoint, ...image.config.Cmd], [[cfg, "/etc/sluice/sluice.cfg"]]);
    try {
      await waitFor(() => run.lines.some((l) => l.includes(") ready")), 15000, "sluice in the image to be ready");
      const pid = run.hostPid();
      const status = statusOf(pid);
      // PID 1 of its namespace, as the image's user.
      expect(status.NSpid!.split(/\s+/).at(-1)).toBe("1");
      expect(status.Uid!.split(/\s+/)[0]).toBe("65532");
      const answer = await fetch(`http://127.0.0.1:${port}/hello`);
      expect(await answer.text()).toBe("backend outside: /hello");
      // The HEALTHCHECK's command, in the image.
      const probe = runContained(rootfs, image.config.User, ["/usr/bin/sluice", "probe", `http://127.0.0.1:${port}/healthz`]);
      expect(await probe.exited).toBe(0);
      // SIGTERM to PID 1 while a slow request is in flight: the handler runs, the request completes, exit 0.
      const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
      await sleep(300);
      run.signal("SIGTERM");
      expect(await slow).toBe("backend outside: /slow");
      expect(await run.exited).toBe(0);
      expect(run.lines.some((l) => l.startsWith("SIGTERM: stopping"))).toBe(true);
      expect(run.lines).toContain("stopped");
      // The traffic log lines came out on stderr.
      expect(run.lines.some((l) => l.includes('"GET /hello HTTP/1.1"'))).toBe(true);
    } finally {
      try {
        run.signal("SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 60_000);

  test("master-worker as PID 1: SIGUSR2 and SIGHUP reload, a killed worker is reaped and replaced, SIGTERM stops all", async () => {
    const port = await freePort();
    const cfg = join(tempDir(), "sluice.cfg");
    writeFileSync(cfg, [
      "global", "    master-worker", "    workers 2",
      "defaults", "    mode http", "    timeout connect 2s", "    timeout client 10s", "    timeout server 10s",
      "frontend web", `    bind 127.0.0.1:${port}`, "    default_backend app",
      "backend app", `    server b 127.0.0.1:${backendPort}`, "",
    ].join("\n"));
    const run = runContained(rootfs, image.config.User, [...image.config.Entrypoint, ...image.config.Cmd], [[cfg, "/etc/sluice/sluice.cfg"]]);
    try {
      await waitFor(() => run.lines.some((l) => /worker\(s\) serving/.test(l)), 20000, "the master's workers");
      const master = run.hostPid();
      expect(statusOf(master).NSpid!.split(/\s+/).at(-1)).toBe("1");
      expect(await (await fetch(`http://127.0.0.1:${port}/mw`)).text()).toBe("backend outside: /mw");
      for (const signal of ["SIGUSR2", "SIGHUP"]) {
        const before = run.lines.filter((l) => l.includes("reload done")).length;
        run.signal(signal);
        await waitFor(() => run.lines.filter((l) => l.includes("reload done")).length > before, 20000, `the reload on ${signal}`);
        expect(run.lines.some((l) => l.includes(`${signal}: reloading`))).toBe(true);
      }
      // Old generations' workers leave; then one worker is killed: reaped (no zombie) and replaced.
      // Two workers and nothing else: an old one still being reaped must not be the one picked (it may be gone by the kill).
      await waitFor(() => {
        const now = children(master);
        return now.length === 2 && now.every((c) => c.state !== "Z");
      }, 20000, "two workers after the reloads");
      const victim = children(master)[0]!.pid;
      process.kill(victim, "SIGKILL");
      await waitFor(() => run.lines.some((l) => l.includes(`(pid `) && l.includes("died unexpectedly")), 10000, "the master to see the death");
      await waitFor(() => {
        const now = children(master);
        return now.length === 2 && now.every((c) => c.state !== "Z" && c.pid !== victim);
      }, 20000, "a new worker, no zombie");
      expect(await (await fetch(`http://127.0.0.1:${port}/again`)).text()).toBe("backend outside: /again");
      run.signal("SIGTERM");
      expect(await run.exited).toBe(0);
      expect(run.lines.some((l) => l.includes("SIGTERM: stopping the workers gracefully"))).toBe(true);
    } finally {
      try {
        run.signal("SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 90_000);

  test("each architecture's layer holds exactly the listed files, and the binary needs exactly the listed libraries", () => {
    const list = readImageFiles();
    for (const arch of ARCH_NAMES) {
      const root = arch === "amd64" ? rootfs : unpack(arch);
      try {
        const found: string[] = [];
        const walk = (dir: string, rel: string) => {
          for (const e of readdirSync(dir, { withFileTypes: true })) {
            const path = `${rel}/${e.name}`;
            if (e.isDirectory() && !readdirSync(join(dir, e.name)).length) found.push(`${path} ${(statSync(join(dir, e.name)).mode & 0o7777).toString(8)}`);
            else if (e.isDirectory()) walk(join(dir, e.name), path);
            else found.push(`${path} ${(statSync(join(dir, e.name)).mode & 0o7777).toString(8)}`);
          }
        };
        walk(root, "");
        // /proc and /dev: the mount points a runtime adds (unpack() made them).
        const listed = filesFor(list, arch).map((f) => `${f.path} ${f.mode.toString(8)}`);
        expect(found.filter((f) => !/^\/(proc|dev) /.test(f)).sort()).toEqual(listed.sort());
        // The binary's ELF interpreter and NEEDED libraries are the listed glibc files, no more, no fewer.
        const elf = sh(["readelf", "-l", "-d", join(root, "usr/bin/sluice")]);
        const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(elf)![1]!;
        const needed = [...elf.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!).filter((n) => !interpreter.endsWith(`/${n}`));
        const libs = filesFor(list, arch).filter((f) => f.source.kind === "sysroot").map((f) => f.path);
        expect(libs).toContain(interpreter);
        expect(libs.filter((l) => l !== interpreter).map((l) => l.slice(l.lastIndexOf("/") + 1)).sort()).toEqual(needed.sort());
      } finally {
        if (root !== rootfs) rmSync(root, { recursive: true, force: true });
      }
    }
  }, 120_000);

  test("TLS without a CA bundle: verification against the embedded roots refuses an unknown CA; NODE_EXTRA_CA_CERTS adds one", async () => {
    const dir = tempDir();
    sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
      "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
    const tls = createTlsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (_q, r) => r.end("ok"));
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    try {
      expect(existsSync(join(rootfs, "etc/ssl"))).toBe(false);
      const refused = runContained(rootfs, image.config.User, ["/usr/bin/sluice", "probe", url]);
      expect(await refused.exited).toBe(1);
      expect(refused.lines.join("\n")).toMatch(/self.signed/i);
      // A private CA, as a user would mount it.
      const accepted = runContained(rootfs, image.config.User, ["/usr/bin/sluice", "probe", url], [[join(dir, "cert.pem"), "/tmp/ca.pem"]], ["NODE_EXTRA_CA_CERTS=/tmp/ca.pem"]);
      expect(await accepted.exited).toBe(0);
    } finally {
      tls.close();
    }
  }, 60_000);

  test("the arm64 image: its own glibc, its binary runs under qemu-user", () => {
    const arm = imageOf("arm64");
    expect(arm.architecture).toBe("arm64");
    const armRoot = unpack("arm64");
    try {
      expect(sh(["file", "-L", join(armRoot, "usr/bin/sluice")])).toContain("ARM aarch64");
      const out = sh(["qemu-aarch64-static", "-L", armRoot, join(armRoot, "usr/bin/sluice"), "version"]);
      expect(out).toContain(`sluice ${VERSION}`);
    } finally {
      rmSync(armRoot, { recursive: true, force: true });
    }
    // Emulated start-up takes seconds, tens of them on a busy machine.
  }, 240_000);
});
