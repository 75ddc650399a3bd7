// `npm run image`: sluice's scratch image without a docker daemon, offline,
// from build/image/files.txt (the Dockerfile's list too): for each
// architecture one layer (a tar made deterministic: sorted names, one time,
// owner 0), added with umoci to an OCI layout whose index.json names a
// multi-platform index (linux/amd64, linux/arm64); then skopeo writes a
// docker-archive tar per architecture (what `docker load`/`podman load` read).
//   bun build/image.ts [--stage]   --stage: only stage the Dockerfile's inputs
// Needs: the release binaries in dist/ (npm run release), umoci, skopeo,
// GNU tar, and for the foreign architecture Debian's libc6 package
// (downloaded once by `apt-get download`, kept in dist/image/debs/).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ARCH_NAMES,
  ARCHES,
  type Arch,
  filesFor,
  IMAGE_CONFIG,
  labelsOf,
  readImageFiles,
  releaseBinary,
  renderDockerfile,
  ROOT,
  stageForDockerfile,
  stageRootfs,
  sysrootFor,
} from "./image/files.ts";

const OUT = join(ROOT, "dist/image");
const LAYOUT = join(OUT, "oci");

class ImageBuildError extends Error {}

function run(argv: string[], cwd = ROOT): string {
  const proc = Bun.spawnSync(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) {
    throw new ImageBuildError(`${argv.join(" ")} failed (exit ${proc.exitCode}): ${proc.stderr.toString().trim()}`);
  }
  return proc.stdout.toString();
}

function need(tool: string, pkg: string): void {
  if (Bun.which(tool) === null) throw new ImageBuildError(`'${tool}' is missing: apt-get install ${pkg}`);
}

/** The newest modification time of the sources a binary is built from. */
function newestSource(dir = join(ROOT, "src")): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The release binaries, made by the release script when missing or older than the sources. */
function ensureBinaries(version: string): void {
  const sources = newestSource();
  const missing = ARCH_NAMES.filter((a) => {
    const path = join(ROOT, releaseBinary(version, a));
    return !existsSync(path) || statSync(path).mtimeMs < sources;
  });
  if (missing.length === 0) return;
  const targets = missing.map((a) => ARCHES[a].target).join(",");
  if (!existsSync(join(ROOT, "build/release.ts"))) {
    throw new ImageBuildError(`${missing.map((a) => releaseBinary(version, a)).join(", ")} missing or older than src/: run npm run release first`);
  }
  console.log(`building the release binaries for ${targets}`);
  const proc = Bun.spawnSync([process.execPath, "build/release.ts", "--targets", targets], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) throw new ImageBuildError(`bun build/release.ts --targets ${targets} failed`);
}

/** glibc's files for `arch`: this machine's, or Debian's libc6:ARCH unpacked (the package downloaded once). */
function sysroot(arch: Arch, hostDeb: string): string {
  const unpacked = join(OUT, `debroot-${arch}`);
  const root = sysrootFor(arch, hostDeb, unpacked);
  if (root !== unpacked || existsSync(join(unpacked, "lib"))) return root;
  const debs = join(OUT, "debs");
  mkdirSync(debs, { recursive: true });
  const deb = ARCHES[arch].deb;
  const find = () => readdirSync(debs).find((f) => f.startsWith("libc6_") && f.endsWith(`_${deb}.deb`));
  if (find() === undefined) {
    console.log(`downloading Debian's libc6:${deb} (once; kept in dist/image/debs/)`);
    try {
      run(["apt-get", "download", `libc6:${deb}`], debs);
    } catch (e) {
      throw new ImageBuildError(`${(e as Error).message}\n(the ${arch} image needs libc6:${deb}: dpkg --add-architecture ${deb} && apt-get update, or put the .deb in dist/image/debs/)`);
    }
  }
  run(["dpkg-deb", "-x", join(debs, find()!), unpacked]);
  return unpacked;
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

function readBlob(digest: string): Uint8Array {
  return readFileSync(join(LAYOUT, "blobs/sha256", digest.replace("sha256:", "")));
}

function writeBlob(bytes: string): { digest: string; size: number } {
  const hex = sha256(bytes);
  writeFileSync(join(LAYOUT, "blobs/sha256", hex), bytes);
  return { digest: `sha256:${hex}`, size: Buffer.byteLength(bytes) };
}

/**
 * The OCI config has no health check; Docker's image config (a superset
 * that podman and docker read from either format) does. umoci cannot set
 * it, so it is added to the config here and the manifest rewritten.
 */
function addHealthcheck(manifestDesc: Descriptor): Descriptor {
  const manifest = JSON.parse(new TextDecoder().decode(readBlob(manifestDesc.digest)));
  const config = JSON.parse(new TextDecoder().decode(readBlob(manifest.config.digest)));
  const h = IMAGE_CONFIG.healthcheck;
  const second = 1_000_000_000;
  config.config.Healthcheck = {
    Test: ["CMD", ...h.test],
    Interval: h.intervalSeconds * second,
    Timeout: h.timeoutSeconds * second,
    StartPeriod: h.startPeriodSeconds * second,
    Retries: h.retries,
  };
  manifest.config = { ...manifest.config, ...writeBlob(JSON.stringify(config)) };
  return { ...manifestDesc, ...writeBlob(JSON.stringify(manifest)) };
}

function buildLayout(version: string, revision: string, epoch: number, hostDeb: string): void {
  const files = readImageFiles();
  const labels = labelsOf();
  const created = new Date(epoch * 1000).toISOString().replace(".000Z", "Z");
  rmSync(LAYOUT, { recursive: true, force: true });
  run(["umoci", "init", "--layout", LAYOUT]);
  const manifests: Descriptor[] = [];
  for (const arch of ARCH_NAMES) {
    const tag = `${version}-${arch}`;
    const staged = join(OUT, `rootfs-${arch}`);
    rmSync(staged, { recursive: true, force: true });
    mkdirSync(staged, { recursive: true });
    stageRootfs(files, arch, staged, sysroot(arch, hostDeb), version, epoch);
    // One layer, the same bytes for the same files: sorted names, one time, owner root, no atime/ctime.
    const layer = join(OUT, `layer-${arch}.tar`);
    run(["tar", "--sort=name", `--mtime=@${epoch}`, "--owner=0", "--group=0", "--numeric-owner", "--format=posix",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-cf", layer, "-C", staged,
      ...filesFor(files, arch).map((f) => `.${f.path}`).sort()]);
    const image = `${LAYOUT}:${tag}`;
    run(["umoci", "new", "--image", image]);
    run(["umoci", "raw", "add-layer", "--no-history", "--image", image, layer]);
    const configArgs = [
      "--no-history", "--image", image, "--created", created, "--os", "linux", "--architecture", arch,
      "--config.user", IMAGE_CONFIG.user, "--config.stopsignal", IMAGE_CONFIG.stopSignal,
      ...IMAGE_CONFIG.entrypoint.flatMap((w) => ["--config.entrypoint", w]),
      ...IMAGE_CONFIG.cmd.flatMap((w) => ["--config.cmd", w]),
      ...IMAGE_CONFIG.env.flatMap((e) => ["--config.env", e]),
      ...IMAGE_CONFIG.ports.flatMap((p) => ["--config.exposedports", p]),
      "--config.label", "org.opencontainers.image.title=sluice",
      "--config.label", `org.opencontainers.image.version=${version}`,
      "--config.label", `org.opencontainers.image.revision=${revision}`,
      "--config.label", `org.opencontainers.image.licenses=${labels.license}`,
      "--config.label", `org.opencontainers.image.created=${created}`,
      ...(labels.source === undefined ? [] : ["--config.label", `org.opencontainers.image.source=${labels.source}`]),
    ];
    run(["umoci", "config", ...configArgs]);
    rmSync(layer);
    const index = JSON.parse(readFileSync(join(LAYOUT, "index.json"), "utf8")) as { manifests: Descriptor[] };
    const own = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag)!;
    manifests.push({ ...addHealthcheck(own), platform: { architecture: arch, os: "linux" }, annotations: { "org.opencontainers.image.ref.name": tag } });
  }
  // index.json: each architecture's manifest by its tag, and the multi-platform index as VERSION and latest.
  const multi = writeBlob(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: manifests.map(({ annotations: _tag, ...m }) => m),
  }));
  const indexDesc = (name: string): Descriptor => ({
    mediaType: "application/vnd.oci.image.index.v1+json",
    ...multi,
    annotations: { "org.opencontainers.image.ref.name": name },
  });
  const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [...manifests, indexDesc(version), indexDesc("latest")] };
  writeFileSync(join(LAYOUT, "index.json"), JSON.stringify(index));
  run(["umoci", "gc", "--layout", LAYOUT]);
}

function dockerArchives(version: string): string[] {
  const out: string[] = [];
  for (const arch of ARCH_NAMES) {
    const tar = join(OUT, `sluice-${version}-linux-${arch}.docker.tar`);
    rmSync(tar, { force: true });
    run(["skopeo", "copy", "--quiet", `oci:${LAYOUT}:${version}-${arch}`, `docker-archive:${tar}:sluice:${version}`]);
    out.push(tar);
  }
  return out;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Compressed (the layer blob as pushed) and unpacked sizes per architecture. */
function sizes(version: string): string[] {
  const index = JSON.parse(readFileSync(join(LAYOUT, "index.json"), "utf8")) as { manifests: Descriptor[] };
  return ARCH_NAMES.map((arch) => {
    const desc = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === `${version}-${arch}`)!;
    const manifest = JSON.parse(new TextDecoder().decode(readBlob(desc.digest))) as { layers: Descriptor[] };
    const compressed = manifest.layers.reduce((n, l) => n + l.size, 0);
    return `linux/${arch}: ${mib(compressed)} compressed, ${mib(dirSize(join(OUT, `rootfs-${arch}`)))} unpacked`;
  });
}

function main(): void {
  const stageOnly = process.argv.includes("--stage");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const version = pkg.version;
  const revision = run(["git", "rev-parse", "HEAD"]).trim();
  // The commit's time: the files' times and the image's creation date, so that a commit gives one image.
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? run(["git", "log", "-1", "--format=%ct"]).trim());
  const hostDeb = run(["dpkg", "--print-architecture"]).trim();
  ensureBinaries(version);
  const files = readImageFiles();
  const roots = Object.fromEntries(ARCH_NAMES.map((a) => [a, sysroot(a, hostDeb)])) as Record<Arch, string>;
  stageForDockerfile(files, roots, epoch);
  const dockerfile = renderDockerfile(files, labelsOf());
  const path = join(ROOT, "Dockerfile");
  if (!existsSync(path) || readFileSync(path, "utf8") !== dockerfile) {
    writeFileSync(path, dockerfile);
    console.log("Dockerfile rewritten from build/image/files.txt");
  }
  if (stageOnly) {
    console.log("staged dist/image/ for the Dockerfile");
    return;
  }
  need("umoci", "umoci");
  need("skopeo", "skopeo");
  buildLayout(version, revision, epoch, hostDeb);
  const archives = dockerArchives(version);
  console.log(`OCI layout: dist/image/oci (index: ${version}, latest; per architecture: ${ARCH_NAMES.map((a) => `${version}-${a}`).join(", ")})`);
  for (const a of archives) console.log(`docker-archive: ${a.slice(ROOT.length + 1)} (${mib(statSync(a).size)})`);
  for (const line of sizes(version)) console.log(line);
}

try {
  main();
} catch (error) {
  if (!(error instanceof ImageBuildError)) throw error;
  console.error(`npm run image: ${error.message}`);
  process.exit(1);
}
