// Syslog as HAProxy 2.6 sends it, checked with real receivers: UDP sockets this
// test binds (node:dgram) and a unix datagram socket (python3, as /dev/log).
// The framings are compared with HAProxy's own datagrams for the same config,
// field by field (dates and pids aside); levels, log-separate-errors,
// dontlognull, logasap, log-send-hostname; receivers that go away never stall
// the proxy; Debian's default haproxy.cfg logs to its socket.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import * as dgram from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";
import { haproxy, type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";
import { bindDatagramReceiver } from "../support/datagram-receiver.ts";

interface UdpReceiver {
  port: number;
  datagrams: Buffer[];
  close(): void;
}

const receivers: UdpReceiver[] = [];
afterAll(() => {
  for (const r of receivers) r.close();
});

async function udpReceiver(): Promise<UdpReceiver> {
  const socket = dgram.createSocket("udp4");
  const datagrams: Buffer[] = [];
  socket.on("message", (m) => datagrams.push(m));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  let open = true;
  const receiver = {
    port: socket.address().port,
    datagrams,
    close: () => {
      if (open) socket.close();
      open = false;
    },
  };
  receivers.push(receiver);
  return receiver;
}

async function get(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
  return res.status;
}

/** Opens a TCP connection and closes it without a byte. */
function emptyConnection(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.end();
      s.on("close", () => resolve());
    });
    // Whatever comes back (HAProxy's and sluice's 400 to a connection closed before a request) is read, so that the close comes.
    s.resume();
    s.on("error", reject);
  });
}

const FORMATS = ["local", "rfc3164", "rfc5424", "short", "priority", "timed", "iso", "raw"] as const;
const BSD_DATE = /[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d/;
const ISO_DATE = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d/;

/** The header of a datagram with its dates and pid replaced: what must be the same for HAProxy and sluice. */
function header(datagram: Buffer): string {
  const text = datagram.toString();
  const start = text.indexOf("127.0.0.1:");
  return text.slice(0, start)
    .replace(BSD_DATE, "DATE")
    .replace(ISO_DATE, "ISO")
    .replace(/\[\d+\]: $/, "[PID]: ")
    .replace(/ \d+ - - $/, " PID - - ");
}

/** Every format on one receiver each, one more cut at 80 bytes, one that passes notice and up only, capped at err. */
async function framingConfig(port: number, rx: UdpReceiver[], closed: number): Promise<string> {
  const lines = FORMATS.map((f, i) => `  log 127.0.0.1:${rx[i]!.port} format ${f} local${i}`);
  return `
global
${lines.join("\n")}
  log 127.0.0.1:${rx[8]!.port} len 80 format rfc5424 daemon
  log udp@127.0.0.1:${rx[9]!.port} user notice err
  log-tag haproxy
defaults
  mode http
  log global
  option httplog
  option log-separate-errors
  # The readiness probes (a connect, then a reset) send nothing: not logged.
  option dontlognull
  timeout connect 2s
  timeout client 5s
  timeout server 5s
listen fe
  bind 127.0.0.1:${port}
  http-request deny if { path /deny }
  http-request return status 200 content-type text/plain string ok
backend chk
  option log-health-checks
  server down 127.0.0.1:${closed} check inter 300
`;
}

/** Runs a proxy on the framing config: a 200 (info) then a 403 (err); the datagrams of each receiver. */
async function framings(start: (config: string, ports: number[]) => Promise<RunningProxy>): Promise<Buffer[][]> {
  const rx = await Promise.all(Array.from({ length: 10 }, udpReceiver));
  const port = await freePort();
  const proxy = await start(await framingConfig(port, rx, await freePort()), [port]);
  try {
    expect(await get(port, "/ok")).toBe(200);
    expect(await get(port, "/deny")).toBe(403);
    const traffic = (r: UdpReceiver) => r.datagrams.filter((d) => d.includes("127.0.0.1:")).length;
    await waitFor(() => rx.slice(0, 9).every((r) => traffic(r) >= 2) && traffic(rx[9]!) >= 1, 10000, "datagrams");
    await waitFor(() => rx[0]!.datagrams.some((d) => d.includes("no server available")), 10000, "the health check's lines");
    await sleep(100);
  } finally {
    await proxy.stop();
  }
  return rx.map((r) => r.datagrams);
}

/** The traffic lines of a receiver. */
const trafficOf = (ds: Buffer[]) => ds.filter((d) => d.includes("127.0.0.1:"));

/** The health check's lines (log-health-checks, the DOWN transition, no server left), dates, pids and durations aside. */
const checkLinesOf = (ds: Buffer[]) =>
  ds.map(String).filter((d) => d.includes("chk/down") || d.includes("backend chk "))
    .map((d) => d.replace(BSD_DATE, "DATE").replace(/\[\d+\]: /, "[PID]: ").replace(/check duration: \d+ms/, "check duration: Nms"));

let reference: Buffer[][] | undefined;
async function haproxyFramings(): Promise<Buffer[][]> {
  return (reference ??= await framings((config, ports) => haproxy.start(config, ports)));
}

for (const target of selectedTargets()) {
  describe(`syslog (${target.name})`, () => {
    test("every format frames its datagrams as HAProxy 2.6 does: priority, dates, tag, pid, len, level filter", async () => {
      const theirsAll = await haproxyFramings();
      const oursAll = await framings((config, ports) => sluiceUnderTest(target).start(config, ports));
      // option log-health-checks, then the server going DOWN (alert) and the backend left without servers (emerg): HAProxy's words and levels.
      expect(checkLinesOf(oursAll[0]!)).toEqual(checkLinesOf(theirsAll[0]!));
      expect(checkLinesOf(oursAll[0]!)).toEqual([
        'DATE haproxy[PID]: Health check for server chk/down failed, reason: Layer4 connection problem, info: "Connection refused", check duration: Nms, status: 0/2 DOWN.\n',
        'DATE haproxy[PID]: Server chk/down is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n',
        "DATE haproxy[PID]: backend chk has no server available!\n",
      ].map((l, i) => `<${[133, 129, 128][i]}>${l}`));
      const theirs = theirsAll.map(trafficOf);
      const ours = oursAll.map(trafficOf);
      for (let i = 0; i < 10; i++) {
        expect(ours[i]!.map(header)).toEqual(theirs[i]!.map(header));
        for (const d of ours[i]!) expect(d[d.length - 1]).toBe(0x0a);
      }
      // The shapes themselves (local0 info, then local0 err for the 403 under log-separate-errors).
      expect(header(ours[0]![0]!)).toBe("<134>DATE haproxy[PID]: ");
      expect(header(ours[0]![1]!)).toBe("<131>DATE haproxy[PID]: ");
      expect(header(ours[1]![0]!)).toBe("<142>DATE localhost haproxy[PID]: ");
      expect(header(ours[2]![0]!)).toBe("<150>1 ISO - haproxy PID - - ");
      expect(header(ours[3]![0]!)).toBe("<6>");
      expect(header(ours[4]![0]!)).toBe("<166>");
      expect(header(ours[5]![0]!)).toBe("<6>ISO ");
      expect(header(ours[6]![0]!)).toBe("ISO ");
      expect(header(ours[7]![0]!)).toBe("");
      // len 80: 80 bytes and the newline, as HAProxy cuts them.
      expect(ours[8]!.map((d) => d.length)).toEqual([81, 81]);
      expect(theirs[8]!.map((d) => d.length)).toEqual([81, 81]);
      // `user notice err`: the info line does not pass; the err one does, capped at err (user: 1).
      expect(ours[9]!.map((d) => header(d))).toEqual(["<11>DATE haproxy[PID]: "]);
      const text = ours[7]![0]!.toString();
      expect(text).toMatch(/^127\.0\.0\.1:\d+ \[\d\d\/[A-Z][a-z]{2}\/\d{4}:[\d:.]+\] fe fe\/<NOSRV> .* 200 .*"GET \/ok HTTP\/1\.1"\n$/);
    }, 60000);

    test("a unix datagram socket (as /dev/log), log-send-hostname, dontlognull and logasap; receivers that leave never stall", async () => {
      const dir = tempDir();
      const sock = join(dir, "log.sock");
      const unix = await bindDatagramReceiver(sock);
      const udp = await udpReceiver();
      const checks = await udpReceiver();
      const [web, tcp, app, closed] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const backend = Bun.serve({ port: app, hostname: "127.0.0.1", fetch: () => new Response("hello from the server") });
      let run: Run | undefined;
      try {
        run = await startSluice(target, `
global
  log ${sock} local0
  log ${sock} local1 notice
  log 127.0.0.1:${udp.port} format rfc5424 local2
  log-send-hostname myhost
  log-tag edge
  stats socket ${dir}/admin.sock level admin
defaults
  mode http
  log global
  option httplog
  timeout connect 2s
  timeout client 5s
  timeout server 5s
listen web
  bind 127.0.0.1:${web}
  option logasap
  log-tag webtag
  server app 127.0.0.1:${app}
listen tcp
  mode tcp
  option tcplog
  option dontlognull
  bind 127.0.0.1:${tcp}
  server app 127.0.0.1:${app}
backend chk
  no log
  log 127.0.0.1:${checks.port} local5
  log-tag checks
  server down 127.0.0.1:${closed} check inter 300
`);
        const pid = run.proc.pid;
        expect(await get(web, "/a")).toBe(200);
        await emptyConnection(tcp); // nothing from the client: no line (dontlognull)
        const t = net.connect(tcp, "127.0.0.1");
        await new Promise<void>((r) => t.on("connect", () => r()));
        t.end("GET /b HTTP/1.0\r\n\r\n");
        await new Promise<void>((r) => t.on("close", () => r()).resume());
        await unix.waitFor(2, 10000);
        await waitFor(() => udp.datagrams.length >= 2, 10000, "udp datagrams");
        await sleep(200);
        // log-send-hostname: the default format becomes rfc3164; the proxy's log-tag names its lines.
        const [webLine, tcpLine, ...more] = unix.datagrams;
        expect(more).toEqual([]);
        expect(webLine).toMatch(new RegExp(`^<134>${BSD_DATE.source} myhost webtag\\[${pid}\\]: 127\\.0\\.0\\.1:\\d+ \\[.*\\] web web/app \\d+/\\d+/\\d+/\\d+/\\+\\d+ 200 \\+\\d+ - - ---- .*"GET /a HTTP/1\\.1"\\n$`));
        expect(tcpLine).toMatch(new RegExp(`^<134>${BSD_DATE.source} myhost edge\\[${pid}\\]: 127\\.0\\.0\\.1:\\d+ \\[.*\\] tcp tcp/app \\d+/\\d+/\\d+ \\d+ -- \\d+/1/\\d+/\\d+/0 0/0\\n$`));
        expect(udp.datagrams[0]!.toString()).toMatch(new RegExp(`^<150>1 ${ISO_DATE.source} myhost webtag ${pid} - - 127\\.0\\.0\\.1:`));
        // A backend's own log lines and tag carry its servers' messages (and only those lines: `no log` dropped the defaults').
        await waitFor(() => checks.datagrams.length >= 2, 10000, "the backend's messages");
        expect(checks.datagrams[0]!.toString()).toMatch(new RegExp(`^<169>${BSD_DATE.source} myhost checks\\[${pid}\\]: Server chk/down is DOWN, reason: Layer4 connection problem`));
        expect(checks.datagrams[1]!.toString()).toMatch(new RegExp(`^<168>${BSD_DATE.source} myhost checks\\[${pid}\\]: backend chk has no server available!\n$`));

        // The receivers go away: the socket's path is gone, the UDP port closed. Requests are served as fast as ever.
        unix.close();
        udp.close();
        await sleep(300);
        const began = performance.now();
        for (let i = 0; i < 30; i++) expect(await get(web, `/after/${i}`)).toBe(200);
        expect(performance.now() - began).toBeLessThan(5000);
        await waitFor(() => run!.errLines.some((l) => /log lines? dropped/.test(l)), 5000, "the drop notice");
        const notice = run.errLines.find((l) => /log lines? dropped/.test(l))!;
        expect(Number(notice.match(/(\d+) log line/)![1])).toBeGreaterThan(0);
        // ... and in `show info`, HAProxy's DroppedLogs.
        const info = spawnSync("socat", ["-", `UNIX-CONNECT:${dir}/admin.sock`], { input: "show info\n", encoding: "utf8" }).stdout;
        expect(Number(info.match(/^DroppedLogs: (\d+)$/m)?.[1])).toBeGreaterThan(0);
      } finally {
        backend.stop(true);
        unix.close();
        if (run !== undefined) await stopSluice(run);
      }
    }, 60000);

    test("Debian's default haproxy.cfg: its global log lines reach the system's syslog socket", async () => {
      const dir = tempDir();
      const sock = join(dir, "dev-log");
      const unix = await bindDatagramReceiver(sock);
      const port = await freePort();
      // Its process keywords (chroot, user, daemon ...) are other parts' work: kept out; the log lines stay as shipped.
      const others = /^\s*(chroot|user|group|daemon|ca-base|crt-base|stats socket)\b/;
      const debian = readFileSync("/etc/haproxy/haproxy.cfg", "utf8")
        .split("\n")
        .filter((l) => !others.test(l))
        .join("\n")
        .replaceAll("/dev/log", sock);
      expect(debian).toContain(`log ${sock}\tlocal0`);
      const file = join(dir, "haproxy.cfg");
      writeFileSync(file, `${debian}\nfrontend main\n\tbind 127.0.0.1:${port}\n\thttp-request return status 200 content-type text/plain string ok\n`);
      let run: Run | undefined;
      try {
        run = await startSluice(target, readFileSync(file, "utf8"));
        expect(await get(port, "/")).toBe(200);
        await emptyConnection(port);
        await unix.waitFor(1, 10000);
        await sleep(200);
        // local0: the request's line (info); local1 takes notice and up: not this one; dontlognull: not the empty connection.
        expect(unix.datagrams).toHaveLength(1);
        expect(unix.datagrams[0]).toMatch(new RegExp(`^<134>${BSD_DATE.source} sluice\\[${run.proc.pid}\\]: 127\\.0\\.0\\.1:\\d+ .* main main/<NOSRV> .* 200 `));
      } finally {
        unix.close();
        if (run !== undefined) await stopSluice(run);
      }
    }, 60000);
  });
}
