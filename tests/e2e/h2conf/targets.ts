// The servers the HTTP/2 conformance cases run against, each cleartext
// HTTP/2 with prior knowledge in front of one raw HTTP/1.1 backend (node:net in
// the test process): the references HAProxy 2.6 (`bind … proto h2`) and
// nghttpx (nghttp2's proxy, a second opinion where HAProxy is lenient), and
// sluice under Bun, Deno and as the binary (`bind … proto h2`). A target is
// available when its program is installed; sluice's when its configuration
// loads (`sluice check`), which tells honestly whether this build speaks
// HTTP/2 to clients at all.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, TARGETS, tempDir } from "../harness.ts";

export type ReferenceName = "haproxy" | "nghttpx";
export type TargetName = ReferenceName | "bun" | "deno" | "binary";

export interface RunningTarget {
  readonly port: number;
  stop(): Promise<void>;
}

export interface TargetSpec {
  readonly name: TargetName;
  /** References may carry known deviations in the case table; sluice must pass every case. */
  readonly reference: boolean;
  /** undefined when it can run here, else why not. */
  unavailable(): string | undefined;
  start(backendPort: number): Promise<RunningTarget>;
}

// ---- the HTTP/1.1 backend ----

export interface ConformanceBackend {
  readonly port: number;
  /** Request targets (paths) the backend received, with the request's Host and body length. */
  readonly seen: Map<string, { host: string | undefined; bodyLength: number }>;
  close(): Promise<void>;
}

/** One HTTP/1.1 request head as it came on the wire (names lowercased, every field line kept). */
interface RawHead {
  method: string;
  target: string;
  fields: [string, string][];
}

function parseHead(text: string): RawHead {
  const [line, ...rest] = text.split("\r\n");
  const [method = "", target = ""] = line!.split(" ");
  const fields = rest.map((l): [string, string] => {
    const colon = l.indexOf(":");
    return [l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim()];
  });
  return { method, target, fields };
}

/** What the backend saw, safe to echo in a field value. */
const echo = (values: string[]) => values.join(" | ").replace(/[\r\n\0]/g, "?");

/**
 * A raw HTTP/1.1 backend on node:net, so that what the proxy forwarded shows
 * as it was sent (no library in between accepting or normalising it): every
 * request gets 200 "ok" once its body has arrived (Content-Length or
 * chunked), with what it saw in x-seen-host / x-seen-te / x-seen-cookie
 * (field lines joined by " | ") and x-body-length; CONNECT gets 405. The path
 * is recorded when the head arrives, so a case can tell whether a malformed
 * request was forwarded.
 */
export async function startBackend(): Promise<ConformanceBackend> {
  const seen: ConformanceBackend["seen"] = new Map();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const used = serveOne(buf, seen, socket);
        if (used === 0) return;
        buf = buf.subarray(used);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Answers the first complete request in `buf`; returns the octets it used (0: incomplete). */
function serveOne(buf: Buffer, seen: ConformanceBackend["seen"], socket: net.Socket): number {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return 0;
  const head = parseHead(buf.subarray(0, end).toString("latin1"));
  const values = (name: string) => head.fields.filter(([n]) => n === name).map(([, v]) => v);
  if (!seen.has(head.target)) seen.set(head.target, { host: values("host")[0], bodyLength: 0 });
  const body = bodyExtent(buf, end + 4, values("content-length")[0], values("transfer-encoding").join(",").includes("chunked"));
  if (body === undefined) return 0;
  seen.get(head.target)!.bodyLength = body.length;
  const status = head.method === "CONNECT" ? "405 Method Not Allowed" : "200 OK";
  socket.write(
    `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n` +
      `x-seen-host: ${echo(values("host"))}\r\nx-seen-te: ${echo(values("te"))}\r\nx-seen-cookie: ${echo(values("cookie"))}\r\n` +
      `x-body-length: ${body.length}\r\n\r\nok`,
  );
  return body.next;
}

/** The body after a head ending at `from`: its length and where the next request starts; undefined until complete. */
function bodyExtent(buf: Buffer, from: number, contentLength: string | undefined, chunked: boolean): { length: number; next: number } | undefined {
  if (!chunked) {
    const n = Number(contentLength ?? 0);
    return buf.length - from >= n ? { length: n, next: from + n } : undefined;
  }
  let at = from;
  let length = 0;
  for (;;) {
    const eol = buf.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const size = parseInt(buf.subarray(at, eol).toString("latin1"), 16);
    if (size === 0) {
      const trailersEnd = buf.indexOf("\r\n\r\n", eol);
      if (buf.subarray(eol, eol + 4).toString() === "\r\n\r\n") return { length, next: eol + 4 };
      return trailersEnd < 0 ? undefined : { length, next: trailersEnd + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    length += size;
    at = eol + 2 + size + 2;
  }
}

// ---- child processes ----

async function canConnect(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

function findProgram(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin"])) {
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function startChild(argv: string[], port: number, what: string, logFile: string): Promise<RunningTarget> {
  const proc = Bun.spawn(argv, { stdout: Bun.file(logFile), stderr: Bun.file(`${logFile}.err`), stdin: "ignore" });
  const log = () => [logFile, `${logFile}.err`].map((f) => (existsSync(f) ? readFileSync(f, "utf8") : "")).join("\n");
  const deadline = Date.now() + 10000;
  while (!(await canConnect(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`${what} did not start (${argv.join(" ")}):\n${log()}`);
    }
    await sleep(50);
  }
  return {
    port,
    stop: async () => {
      proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, sleep(3000).then(() => -1)]);
      if (code === -1) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    },
  };
}

const HAPROXY = findProgram(["haproxy"]);
const NGHTTPX = findProgram(["nghttpx"]);

const haproxy: TargetSpec = {
  name: "haproxy",
  reference: true,
  unavailable: () => (HAPROXY === undefined ? "haproxy is not installed" : undefined),
  async start(backendPort) {
    const dir = tempDir();
    const port = await freePort();
    const cfg = join(dir, "haproxy.cfg");
    writeFileSync(
      cfg,
      `global
    maxconn 2000

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:${port} proto h2
    default_backend be

backend be
    server s 127.0.0.1:${backendPort}
`,
    );
    return await startChild([HAPROXY!, "-db", "-f", cfg], port, "haproxy", join(dir, "haproxy.log"));
  },
};

const nghttpx: TargetSpec = {
  name: "nghttpx",
  reference: true,
  unavailable: () => (NGHTTPX === undefined ? "nghttpx (Debian nghttp2-proxy) is not installed" : undefined),
  async start(backendPort) {
    const dir = tempDir();
    const port = await freePort();
    const argv = [
      NGHTTPX!,
      `--frontend=127.0.0.1,${port};no-tls`,
      `--backend=127.0.0.1,${backendPort}`,
      "--workers=1",
      "--conf=/dev/null",
      `--pid-file=${join(dir, "nghttpx.pid")}`,
      "--accesslog-file=/dev/null",
      `--errorlog-file=${join(dir, "error.log")}`,
      "--log-level=WARN",
    ];
    return await startChild(argv, port, "nghttpx", join(dir, "nghttpx.log"));
  },
};

function sluiceConfig(port: number, backendPort: number): string {
  return `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:${port} proto h2
    default_backend be

backend be
    server s 127.0.0.1:${backendPort}
`;
}

/** Why this build of sluice cannot run `bind … proto h2` under `target`, or undefined when its configuration loads. */
function sluiceRefuses(target: (typeof TARGETS)[number]): string | undefined {
  const file = join(tempDir(), "h2conf-check.cfg");
  writeFileSync(file, sluiceConfig(1, 2));
  const [cmd, ...args] = target.command(["check", "-f", file]);
  const r = spawnSync(cmd!, args, { encoding: "utf8", timeout: 30000, env: { ...process.env, NO_COLOR: "1" } });
  if (r.status === 0) return undefined;
  const said = `${r.stderr ?? ""}${r.stdout ?? ""}`.trim().split("\n").find((l) => l.includes("proto")) ?? `exit ${r.status}: ${r.error?.message ?? r.stderr}`;
  return `its configuration does not load: ${said.trim()}`;
}

function sluiceTarget(target: (typeof TARGETS)[number]): TargetSpec {
  let verdict: string | undefined | null = null;
  return {
    name: target.name,
    reference: false,
    unavailable: () => (verdict === null ? (verdict = sluiceRefuses(target)) : verdict),
    async start(backendPort) {
      const port = await freePort();
      const run: Run = await startSluice(target, sluiceConfig(port, backendPort));
      return { port, stop: async () => void (await stopSluice(run)) };
    },
  };
}

const ALL: TargetSpec[] = [haproxy, nghttpx, ...TARGETS.map(sluiceTarget)];

/**
 * H2CONF_TARGETS=haproxy,nghttpx,bun,deno,binary picks targets; by default
 * both references and the sluice targets of SLUICE_TARGETS (default all).
 */
export function chosenTargets(): TargetSpec[] {
  const only = process.env.H2CONF_TARGETS?.split(",").map((s) => s.trim());
  if (only !== undefined) return ALL.filter((t) => only.includes(t.name));
  const sluice = new Set<string>(selectedTargets().map((t) => t.name));
  return ALL.filter((t) => t.reference || sluice.has(t.name));
}
