// Mode tcp log lines beside HAProxy 2.6's, for the same haproxy.cfg and the
// same clients: a log-format with the variables a TCP stream has, `option
// tcplog`, a log-format inherited from `defaults`, the last of `option tcplog`
// and `log-format` winning, `option httplog` falling back to tcplog, a server
// that refuses every connection (SC), a client that closes before sending
// (dontlognull: no line), a client that resets (CD), `no log`. Both proxies
// send their lines to a UDP receiver (`format raw`); the lines are compared
// field by field, dates, ports and times masked (-1 kept: "never reached").
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { type Backend, exchange, freePort, logReceiver, selectedTargets, sleep, tcpBackend, waitFor } from "./harness.ts";
import { haproxy, type RunningProxy, sluiceUnderTest } from "./reference-proxy.ts";

/** Every variable HAProxy 2.6 accepts in a mode tcp log-format, in key=value pairs. */
const ALL_TCP =
  "ci=%ci cp=%cp t=%t ft=%ft f=%f b=%b s=%s Tw=%Tw Tc=%Tc Tt=%Tt B=%B U=%U ts=%ts tsc=%tsc " +
  "ac=%ac fc=%fc bc=%bc sc=%sc rc=%rc sq=%sq bq=%bq ST=%ST Th=%Th Td=%Td Tu=%Tu hr=%hr hs=%hs " +
  "ID=%ID fi=%fi fp=%fp bi=%bi bp=%bp si=%si sp=%sp sslv=%sslv sslc=%sslc " +
  "Qci=%{+Q}ci Qft=%{+Q}ft Xci=%{+X}ci " +
  "src=%[src] fe=%[fe_name] be=%[be_name] net=%[src,ipmask(24)] end";

/** The refused connections' format: no %bi/%bp (HAProxy prints the failed socket's local address, sluice has none: docs/configuration.md). */
const REFUSED =
  "refused ci=%ci b=%b s=%s Tw=%Tw Tc=%Tc Tt=%Tt B=%B U=%U ts=%ts tsc=%tsc ac=%ac fc=%fc bc=%bc sc=%sc rc=%rc sq=%sq bq=%bq Td=%Td Tu=%Tu si=%si sp=%sp";

const SCENARIOS = [
  "fmt", "tcplog", "fmt_then_tcplog", "tcplog_then_fmt", "httplog", "refused", "early", "early_null", "reset", "queued",
  "inherit", "inherit_own", "nolog",
] as const;
type Scenario = (typeof SCENARIOS)[number];

function config(ports: Record<Scenario, number>, rx: number, app: number, silent: number, dead: number): string {
  const listen = (name: Scenario, server: number, ...lines: string[]) =>
    [`listen ${name}`, `  bind 127.0.0.1:${ports[name]}`, ...lines.map((l) => `  ${l}`), `  server s1 127.0.0.1:${server}`, ""].join("\n");
  return [
    "global",
    `  log 127.0.0.1:${rx} format raw local0`,
    "defaults",
    "  mode tcp",
    "  log global",
    "  timeout connect 2s",
    "  timeout client 5s",
    "  timeout server 5s",
    "",
    listen("fmt", app, `log-format "${ALL_TCP}"`),
    listen("tcplog", app, "option tcplog"),
    listen("fmt_then_tcplog", app, `log-format "custom %ci %ft"`, "option tcplog"),
    listen("tcplog_then_fmt", app, "option tcplog", `log-format "custom %ci %ft %b/%s %B %U %ts"`),
    listen("httplog", app, "option httplog"),
    listen("refused", dead, "retries 1", `log-format "${REFUSED}"`),
    listen("early", app, "option tcplog"),
    listen("early_null", app, "option tcplog", "option dontlognull"),
    listen("reset", silent, "option tcplog"),
    [`listen queued`, `  bind 127.0.0.1:${ports.queued}`, "  option tcplog", "  timeout queue 3s", `  server s1 127.0.0.1:${app} maxconn 1`, ""].join("\n"),
    "defaults",
    "  mode tcp",
    "  log global",
    "  timeout connect 2s",
    "  timeout client 5s",
    "  timeout server 5s",
    '  log-format "inherited %ci %ft %b/%s %B %U %ts %ac/%fc/%bc/%sc/%rc"',
    "",
    listen("inherit", app),
    listen("inherit_own", app, "option tcplog"),
    listen("nolog", app, "no log"),
  ].join("\n");
}



/** Connects, sends `data`, then resets the connection (RST) while the server stays silent. */
async function resetAfter(port: number, data: string): Promise<void> {
  const s = net.connect(port, "127.0.0.1");
  s.on("error", () => {});
  await new Promise<void>((r) => s.once("connect", () => r()));
  s.write(data);
  await sleep(100);
  s.resetAndDestroy();
}

/** Connects and closes (FIN) without a byte, once connected for a while (the server connection is up by then). */
async function closeSoon(port: number): Promise<void> {
  const s = net.connect(port, "127.0.0.1");
  s.on("error", () => {});
  s.resume();
  await new Promise<void>((r) => s.once("connect", () => r()));
  await sleep(150);
  s.end();
  await new Promise<void>((r) => s.once("close", () => r()));
}

/**
 * One client holds the server's only slot (maxconn 1: it sends a byte and no
 * FIN, so the server waits); a second one waits in the queue and closes there
 * without a byte: given up in the queue (CQ). Then the first one resets (CD).
 */
async function closeInQueue(port: number): Promise<void> {
  const holder = net.connect(port, "127.0.0.1");
  holder.on("error", () => {});
  await new Promise<void>((r) => holder.once("connect", () => r()));
  holder.write("x");
  await sleep(150);
  await closeSoon(port);
  holder.resetAndDestroy();
}

/** What each scenario's client does; how many lines it must give. */
const CLIENTS: Record<Scenario, [(port: number) => Promise<unknown>, number]> = {
  fmt: [(p) => exchange(p, "abc"), 1],
  tcplog: [(p) => exchange(p, "abc"), 1],
  fmt_then_tcplog: [(p) => exchange(p, "abc"), 1],
  tcplog_then_fmt: [(p) => exchange(p, "abc"), 1],
  httplog: [(p) => exchange(p, "abc"), 1],
  // Nothing sent: HAProxy waits 1 s before each retry and reads what the client sends meanwhile, sluice retries at once (docs/configuration.md).
  refused: [(p) => exchange(p, "", { end: false, timeoutMs: 5000 }), 1],
  // The client closes without sending a byte (the server still answers its FIN).
  early: [closeSoon, 1],
  early_null: [closeSoon, 0],
  reset: [(p) => resetAfter(p, "abc"), 1],
  queued: [closeInQueue, 2],
  inherit: [(p) => exchange(p, "abc"), 1],
  inherit_own: [(p) => exchange(p, "abc"), 1],
  nolog: [(p) => exchange(p, "abc"), 0],
};

/** Runs every scenario in turn against a proxy started on the config; its lines, in order. */
interface Logged {
  lines: string[];
  /** What the proxy said of `option httplog` in mode tcp, without its prefix ("[WARNING] (pid) : config : parsing [file:line] : "; "warning: file:line: listen 'x': "). */
  httplogWarning: string | undefined;
}

async function linesOf(start: (config: string, ports: number[]) => Promise<RunningProxy>): Promise<Logged> {
  const rx = await logReceiver();
  // The server answers "hello:" and what it got once the client ended; "silent" never answers.
  const app = await tcpBackend((s) => {
    const got: Buffer[] = [];
    s.on("data", (d: Buffer) => got.push(d));
    s.on("end", () => s.end("hello:" + Buffer.concat(got).toString()));
  });
  const silent = await tcpBackend(() => {});
  const backends: Backend[] = [app, silent];
  const ports = {} as Record<Scenario, number>;
  for (const name of SCENARIOS) ports[name] = await freePort();
  const proxy = await start(config(ports, rx.port, app.port, silent.port, await freePort()), Object.values(ports));
  try {
    // The readiness probes' connections log lines of their own (each listen's but early_null's and nolog's):
    // wait for all of them, so that none is still open (and counted in %ac, %fc...) when the scenarios run.
    await waitFor(() => rx.lines.length >= SCENARIOS.length - 2, 10000, "the readiness probes' lines");
    // The probes' connections may be counted a moment after their lines (%ac/%fc of the scenarios): under the
    // suite's load HAProxy's httplog line said 2/2 once; they are let go first.
    await sleep(500);
    rx.lines.length = 0;
    let expected = 0;
    for (const name of SCENARIOS) {
      const [client, lines] = CLIENTS[name];
      await client(ports[name]);
      expected += lines;
      await waitFor(() => rx.lines.length >= expected, 10000, `the line of ${name}`);
      // A line that must not come would come now (the connection is closed already).
      if (lines === 0) await sleep(300);
      else await sleep(150);
    }
    await sleep(200);
    const warning = proxy.errLines().find((l) => l.includes("'option httplog' not usable"));
    return { lines: rx.lines.map((l) => mask(l, ports)), httplogWarning: warning?.slice(warning.indexOf("'option httplog'")) };
  } finally {
    await proxy.stop();
    rx.close();
    for (const b of backends) await b.close();
  }
}

/** Dates, ports and times masked; -1 (never reached) kept; each listen's port by its name. */
function mask(line: string, ports: Record<Scenario, number>): string {
  let out = line
    .replace(/\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}/g, "DATE")
    .replace(/\b(cp|bp|sp)=\d+/g, "$1=PORT")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/\b(Tw|Tc|Tt|Td|Tu)=(?!-1\b)\d+/g, "$1=T")
    // The tcplog timers, Tw/Tc/Tt after backend/server.
    .replace(/ (\S+\/\S+) (-?\d+)\/(-?\d+)\/(\+?-?\d+) /, (_, bs: string, ...t: string[]) => ` ${bs} ${t.slice(0, 3).map((v) => (v === "-1" ? v : "T")).join("/")} `);
  for (const [name, port] of Object.entries(ports)) out = out.replaceAll(`fp=${port}`, `fp=${name}`);
  // HAProxy counts a stream that left the backend's queue in its %bq ("0/1" with nobody ahead), sluice the streams ahead of it (docs/configuration.md).
  if (out.includes(" CQ ")) out = out.replace(/ \d+\/\d+$/, " SQ/BQ");
  return out;
}

/** The scenario of each line, in order (early_null and nolog write none; queued, two). */
const LOGGED = SCENARIOS.flatMap((name) => Array<string>(CLIENTS[name][1]).fill(name));

let reference: Logged | undefined;
const haproxyLines = async () => (reference ??= await linesOf((c, p) => haproxy.start(c, p)));

for (const target of selectedTargets()) {
  describe(`mode tcp log lines beside HAProxy 2.6 (${target.name})`, () => {
    test("log-format, option tcplog, defaults, precedence, refused, early close, reset, no log: the same lines", async () => {
      const haproxyRun = await haproxyLines();
      const run = await linesOf((c, p) => sluiceUnderTest(target).start(c, p));
      const [theirs, ours] = [haproxyRun.lines, run.lines];
      // `option httplog` in mode tcp: the tcplog line (below), and HAProxy's warning in its words.
      expect(run.httplogWarning).toBe(haproxyRun.httplogWarning);
      expect(run.httplogWarning).toBe("'option httplog' not usable with proxy 'httplog' (needs 'mode http'). Falling back to 'option tcplog'.");
      // Line by line, each named by its scenario, so that a difference says where it is.
      const named = (lines: string[]) => lines.map((l, i) => `${LOGGED[i] ?? "extra"}: ${l}`);
      expect(named(ours)).toEqual(named(theirs));
      // What they both wrote, in HAProxy's words (counters of the whole process, %ac, aside).
      const expected = [
        /^fmt: ci=127\.0\.0\.1 cp=PORT t=DATE ft=fmt f=fmt b=fmt s=s1 Tw=T Tc=T Tt=T B=9 U=3 ts=-- tsc=---- ac=\d+ fc=1 bc=0 sc=0 rc=0 sq=0 bq=0 ST=0 Th=0 Td=T Tu=T hr= hs= ID=- fi=127\.0\.0\.1 fp=fmt bi=127\.0\.0\.1 bp=PORT si=127\.0\.0\.1 sp=PORT sslv=- sslc=- Qci="127\.0\.0\.1" Qft="fmt" Xci=7F000001 src=127\.0\.0\.1 fe=fmt be=fmt net=127\.0\.0\.0 end$/,
        /^tcplog: 127\.0\.0\.1:PORT \[DATE\] tcplog tcplog\/s1 T\/T\/T 9 -- \d+\/1\/0\/0\/0 0\/0$/,
        /^fmt_then_tcplog: 127\.0\.0\.1:PORT \[DATE\] fmt_then_tcplog fmt_then_tcplog\/s1 T\/T\/T 9 -- /,
        /^tcplog_then_fmt: custom 127\.0\.0\.1 tcplog_then_fmt tcplog_then_fmt\/s1 9 3 --$/,
        /^httplog: 127\.0\.0\.1:PORT \[DATE\] httplog httplog\/s1 T\/T\/T 9 -- /,
        /^refused: refused ci=127\.0\.0\.1 b=refused s=s1 Tw=T Tc=-1 Tt=T B=0 U=0 ts=SC tsc=SC-- ac=\d+ fc=1 bc=0 sc=0 rc=1 sq=0 bq=0 Td=-1 Tu=T si=127\.0\.0\.1 sp=PORT$/,
        /^early: 127\.0\.0\.1:PORT \[DATE\] early early\/s1 T\/T\/T 6 -- /,
        /^reset: 127\.0\.0\.1:PORT \[DATE\] reset reset\/s1 T\/T\/T 0 CD /,
        /^queued: 127\.0\.0\.1:PORT \[DATE\] queued queued\/<NOSRV> T\/-1\/T 0 CQ \d+\/2\/1\/0\/0 SQ\/BQ$/,
        /^queued: 127\.0\.0\.1:PORT \[DATE\] queued queued\/s1 T\/T\/T 0 CD \d+\/1\/0\/0\/0 0\/0$/,
        /^inherit: inherited 127\.0\.0\.1 inherit inherit\/s1 9 3 -- \d+\/1\/0\/0\/0$/,
        /^inherit_own: 127\.0\.0\.1:PORT \[DATE\] inherit_own inherit_own\/s1 T\/T\/T 9 -- /,
      ];
      expect(ours.length).toBe(expected.length);
      named(ours).forEach((line, i) => expect(line).toMatch(expected[i]!));
    }, 60000);
  });
}

/** A mode http listen with `option tcplog`: HAProxy writes the tcplog line for each request. */
async function httpTcplogLine(start: (config: string, ports: number[]) => Promise<RunningProxy>): Promise<string> {
  const rx = await logReceiver();
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("hello") });
  const port = await freePort();
  const proxy = await start([
    "global",
    `  log 127.0.0.1:${rx.port} format raw local0`,
    "defaults",
    "  mode http",
    "  log global",
    "  timeout connect 2s",
    "  timeout client 5s",
    "  timeout server 5s",
    "listen h",
    `  bind 127.0.0.1:${port}`,
    "  option tcplog",
    `  server s1 127.0.0.1:${server.port}`,
    "",
  ].join("\n"), [port]);
  try {
    await sleep(300);
    rx.lines.length = 0;
    const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { connection: "close" } });
    expect(await res.text()).toBe("hello");
    await waitFor(() => rx.lines.length >= 1, 10000, "the request's line");
    return rx.lines[0]!
      .replace(/\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d\.\d{3}/, "DATE")
      .replace(/127\.0\.0\.1:\d+/, "127.0.0.1:PORT")
      .replace(/ h\/s1 \d+\/\d+\/\d+ \d+ /, " h/s1 T/T/T B ");
  } finally {
    await proxy.stop();
    rx.close();
    server.stop(true);
  }
}

let httpReference: string | undefined;
for (const target of selectedTargets()) {
  describe(`mode http with option tcplog beside HAProxy 2.6 (${target.name})`, () => {
    test("each request is logged in the tcplog layout", async () => {
      const theirs = (httpReference ??= await httpTcplogLine((c, p) => haproxy.start(c, p)));
      const ours = await httpTcplogLine((c, p) => sluiceUnderTest(target).start(c, p));
      expect(ours).toBe(theirs);
      expect(ours).toBe("127.0.0.1:PORT [DATE] h h/s1 T/T/T B -- 1/1/0/0/0 0/0");
    }, 30000);
  });
}
