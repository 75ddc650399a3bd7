// The scratch image's file list (build/image/files.txt), read once here for
// both ways of building the image: the Dockerfile is rendered from it, and
// build/image.ts lays the same files out for umoci. The glibc files come from
// a "sysroot" per architecture: this machine's / for its own architecture,
// else Debian's libc6 package for that architecture, unpacked (dpkg-deb -x).
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, utimesSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ALLOCATOR_TUNING } from "../../src/runtime/bun-allocator.ts";

export const ROOT = resolve(import.meta.dir, "../..");
export const LIST = join(ROOT, "build/image/files.txt");

/** The image's architectures (Docker's TARGETARCH names) → the release target and Debian's architecture. */
export const ARCHES = {
  amd64: { target: "linux-x64", deb: "amd64", elfMachine: "Advanced Micro Devices X86-64" },
  arm64: { target: "linux-arm64", deb: "arm64", elfMachine: "AArch64" },
} as const;
export type Arch = keyof typeof ARCHES;
export const ARCH_NAMES = Object.keys(ARCHES) as Arch[];

export type Source =
  | { kind: "release" }
  | { kind: "repo"; path: string }
  | { kind: "sysroot"; path: string }
  | { kind: "dir" };

export interface ImageFile {
  arch: Arch | "all";
  /** Absolute path in the image. */
  path: string;
  mode: number;
  source: Source;
  line: number;
}

export class ImageListError extends Error {
  constructor(line: number, detail: string) {
    super(`build/image/files.txt:${line}: ${detail}`);
  }
}

function parseSource(word: string, line: number): Source {
  if (word === "release") return { kind: "release" };
  if (word === "dir") return { kind: "dir" };
  if (word.startsWith("repo:")) return { kind: "repo", path: word.slice(5) };
  if (word.startsWith("sysroot:/")) return { kind: "sysroot", path: word.slice(8) };
  throw new ImageListError(line, `unknown source '${word}' (release, repo:PATH, sysroot:/PATH or dir)`);
}

/** The list, parsed and checked (absolute paths, octal modes, known architectures, no path twice per architecture). */
export function readImageFiles(text = readFileSync(LIST, "utf8")): ImageFile[] {
  const files: ImageFile[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/#.*/, "").trim();
    if (content === "") return;
    const words = content.split(/\s+/);
    if (words.length !== 4) throw new ImageListError(line, `expected 'arch path mode source', got ${words.length} words`);
    const [arch, path, mode, source] = words as [string, string, string, string];
    if (arch !== "all" && !(arch in ARCHES)) throw new ImageListError(line, `unknown arch '${arch}' (all, ${ARCH_NAMES.join(", ")})`);
    if (!path.startsWith("/") || path.includes("..") || path.endsWith("/")) throw new ImageListError(line, `'${path}' is not an absolute file path`);
    if (!/^[0-7]{4}$/.test(mode)) throw new ImageListError(line, `mode '${mode}' is not four octal digits`);
    const file: ImageFile = { arch: arch as Arch | "all", path, mode: parseInt(mode, 8), source: parseSource(source, line), line };
    const twice = files.find((f) => f.path === path && (f.arch === file.arch || f.arch === "all" || file.arch === "all"));
    if (twice !== undefined) throw new ImageListError(line, `'${path}' is listed twice (also line ${twice.line})`);
    files.push(file);
  });
  return files;
}

export function filesFor(files: readonly ImageFile[], arch: Arch): ImageFile[] {
  return files.filter((f) => f.arch === "all" || f.arch === arch);
}

export function packageJson(): { version: string; license?: string; repository?: string | { url?: string } } {
  return JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
}

/** Where the release leaves the binary for `arch` (the release layout of COMMON.md). */
export function releaseBinary(version: string, arch: Arch): string {
  return `dist/sluice-${version}-${ARCHES[arch].target}/sluice`;
}

/** Where the image's glibc files are staged for the Dockerfile (inside the build context). */
export function stagedSysroot(arch: Arch): string {
  return `dist/image/sysroot-${arch}`;
}

/** The empty directories, staged for the Dockerfile's one COPY of them. */
export const SKELETON = "dist/image/skeleton";

/** The source path of a file relative to the repository (the Dockerfile's COPY source). */
export function contextPath(file: ImageFile, arch: Arch, version: string): string {
  switch (file.source.kind) {
    case "release":
      return releaseBinary(version, arch);
    case "repo":
      return file.source.path;
    case "sysroot":
      return `${stagedSysroot(arch)}${file.path}`;
    case "dir":
      return `${SKELETON}${file.path}`;
  }
}

export interface Labels {
  version: string;
  license: string;
  source: string | undefined;
}

export function labelsOf(pkg = packageJson()): Labels {
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  return { version: pkg.version, license: pkg.license ?? "UNLICENSED", source: repo };
}

/** The default command, the health check and the ports: said once for the Dockerfile and for umoci. */
export const IMAGE_CONFIG = {
  user: "65532:65532",
  entrypoint: ["/usr/bin/sluice"],
  cmd: ["run", "-f", "/etc/sluice/sluice.cfg"],
  ports: ["8080/tcp", "8404/tcp"],
  stopSignal: "SIGTERM",
  // What sluice would otherwise execute itself again to set (src/runtime/bun-allocator.ts): set here, it starts once.
  env: [`${ALLOCATOR_TUNING.name}=${ALLOCATOR_TUNING.value}`],
  healthcheck: {
    test: ["/usr/bin/sluice", "probe", "--timeout", "2s", "http://127.0.0.1:8080/healthz"],
    intervalSeconds: 10,
    timeoutSeconds: 3,
    startPeriodSeconds: 5,
    retries: 3,
  },
} as const;

const json = (value: unknown) => JSON.stringify(value).replaceAll(",", ", ");

/** The Dockerfile, rendered from the list (the file at the root must be exactly this). */
export function renderDockerfile(files: readonly ImageFile[], labels: Labels): string {
  const out: string[] = [
    "# syntax=docker/dockerfile:1",
    "# sluice's scratch image: the binary, the glibc files it loads, a non-root user,",
    "# an empty /tmp and the default configuration; nothing else. GENERATED from",
    "# build/image/files.txt by `npm run image` (tests/unit/image-files.test.ts fails",
    "# when they drift). The same image without a docker daemon: `npm run image`",
    "# (docs/install.md). For docker, stage the glibc files first:",
    "#   npm run release && npm run image -- --stage",
    "#   docker buildx build --platform linux/amd64,linux/arm64 \\",
    "#     --build-arg REVISION=$(git rev-parse HEAD) -t sluice:" + labels.version + " .",
    "ARG TARGETARCH",
    "",
  ];
  for (const arch of ARCH_NAMES) {
    out.push(`FROM scratch AS files-${arch}`);
    for (const f of files.filter((f) => f.arch === arch || (f.arch === "all" && f.source.kind === "release"))) {
      out.push(`COPY --chmod=${f.mode.toString(8).padStart(4, "0")} ${contextPath(f, arch, labels.version)} ${f.path}`);
    }
    out.push("");
  }
  out.push("FROM files-${TARGETARCH}");
  for (const f of files.filter((f) => f.arch === "all" && f.source.kind === "repo")) {
    out.push(`COPY --chmod=${f.mode.toString(8).padStart(4, "0")} ${contextPath(f, "amd64", labels.version)} ${f.path}`);
  }
  // Empty directories keep the mode staged for them (COPY of a directory's contents keeps its subdirectories' modes).
  if (files.some((f) => f.source.kind === "dir")) out.push(`COPY ${SKELETON}/ /`);
  out.push(
    "ARG REVISION=unknown",
    `LABEL org.opencontainers.image.title="sluice" \\`,
    `      org.opencontainers.image.description="An edge reverse proxy and load balancer" \\`,
    `      org.opencontainers.image.version="${labels.version}" \\`,
    `      org.opencontainers.image.revision="\${REVISION}" \\`,
    ...(labels.source === undefined ? [] : [`      org.opencontainers.image.source="${labels.source}" \\`]),
    `      org.opencontainers.image.licenses="${labels.license}"`,
    `USER ${IMAGE_CONFIG.user}`,
    ...IMAGE_CONFIG.env.map((e) => `ENV ${e}`),
    `EXPOSE ${IMAGE_CONFIG.ports.map((p) => p.replace("/tcp", "")).join(" ")}`,
    `STOPSIGNAL ${IMAGE_CONFIG.stopSignal}`,
    `HEALTHCHECK --interval=${IMAGE_CONFIG.healthcheck.intervalSeconds}s --timeout=${IMAGE_CONFIG.healthcheck.timeoutSeconds}s ` +
      `--start-period=${IMAGE_CONFIG.healthcheck.startPeriodSeconds}s --retries=${IMAGE_CONFIG.healthcheck.retries} \\`,
    `  CMD ${json(IMAGE_CONFIG.healthcheck.test)}`,
    `ENTRYPOINT ${json(IMAGE_CONFIG.entrypoint)}`,
    `CMD ${json(IMAGE_CONFIG.cmd)}`,
    "",
  );
  return out.join("\n");
}

/** The sysroot holding glibc's files for `arch`: this machine's root for its own architecture, else Debian's package unpacked into `cache`. */
export function sysrootFor(arch: Arch, hostDebArch: string, unpacked: string): string {
  return ARCHES[arch].deb === hostDebArch ? "/" : unpacked;
}

/**
 * Lays out the image's files for `arch` under `into` (symbolic links in the
 * sysroot resolved: the image holds files), each with its listed mode and
 * the time `mtime` (seconds), so that the same inputs give the same layer.
 */
export function stageRootfs(files: readonly ImageFile[], arch: Arch, into: string, sysroot: string, version: string, mtime: number): void {
  for (const f of filesFor(files, arch)) {
    const to = join(into, f.path);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    switch (f.source.kind) {
      case "release":
        copyFileSync(join(ROOT, releaseBinary(version, arch)), to);
        break;
      case "repo":
        copyFileSync(join(ROOT, f.source.path), to);
        break;
      case "sysroot":
        copyFileSync(realpathSync(join(sysroot, f.source.path)), to);
        break;
      case "dir":
        mkdirSync(to, { recursive: true });
        break;
    }
    chmodSync(to, f.mode);
  }
  touchTree(into, mtime);
}

/** Sets every entry's times under `dir` (and `dir` itself) to `mtime`. */
export function touchTree(dir: string, mtime: number): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) touchTree(p, mtime);
    else utimesSync(p, mtime, mtime);
  }
  utimesSync(dir, mtime, mtime);
}

/** Stages what the Dockerfile copies from dist/image/: each architecture's glibc files and the empty directories. */
export function stageForDockerfile(files: readonly ImageFile[], sysroots: Record<Arch, string>, mtime: number): void {
  for (const arch of ARCH_NAMES) {
    const into = join(ROOT, stagedSysroot(arch));
    for (const f of filesFor(files, arch)) {
      if (f.source.kind !== "sysroot") continue;
      const to = join(into, f.path);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(realpathSync(join(sysroots[arch], f.source.path)), to);
      chmodSync(to, f.mode);
    }
    if (existsSync(into)) touchTree(into, mtime);
  }
  const skeleton = join(ROOT, SKELETON);
  for (const f of files) {
    if (f.source.kind !== "dir") continue;
    mkdirSync(join(skeleton, f.path), { recursive: true });
    chmodSync(join(skeleton, f.path), f.mode);
  }
  if (existsSync(skeleton)) touchTree(skeleton, mtime);
}
