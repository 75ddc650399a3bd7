// The process on the runtime API: `show info` and `show stat` (the figures
// come from src/stats/ through StatsText; `show stat IID TYPE SID` keeps the
// CSV rows of one proxy, the object types of a bit mask (1 frontends, 2
// backends, 4 servers; -1 all) and one server id, as HAProxy's), and `show
// sess`, one line per client session:
//   0x2a: proto=tcpv4 src=127.0.0.1:53012 fe=web be=app srv=s1 ts=00 age=3s state=stream
import type { Command, StatsText } from "./commands.ts";
import { say } from "./commands.ts";
import { formatInfo } from "../stats/info-format.ts";

/** What `show info` and `show stat` read: a worker's own figures, or the master's sum of them. */
export interface StatsContext {
  readonly stats: StatsText | undefined;
}

const STAT_FILTER_USAGE = say("show stat: expected [<iid> <type> <sid>] with integers (-1: all)");

/** `show stat` rows kept by HAProxy's filter: the iid, type and sid columns of the CSV. */
export function filterStatCsv(csv: string, iid: number, typeMask: number, sid: number): string {
  const lines = csv.split("\n");
  const head = lines[0] ?? "";
  const columns = head.replace(/^# /, "").split(",");
  const at = (name: string) => columns.indexOf(name);
  const [iidAt, typeAt, sidAt] = [at("iid"), at("type"), at("sid")];
  const out = [head];
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const f = line.split(",");
    if (iid !== -1 && Number(f[iidAt]) !== iid) continue;
    // type column: 0 frontend, 1 backend, 2 server, 3 listener; the mask's bits: 1, 2, 4, 8.
    if (typeMask !== -1 && (typeMask & (1 << Number(f[typeAt]))) === 0) continue;
    if (sid !== -1 && Number(f[sidAt]) !== sid) continue;
    out.push(line);
  }
  return `${out.join("\n")}\n`;
}

const TYPED_BIT: Record<string, number> = { F: 1, B: 2, S: 4, L: 8 };

/** `show stat typed` lines kept by the filter: `<F|B|S|L>.<iid>.<sid>.<field>...`. */
export function filterStatTyped(text: string, iid: number, typeMask: number, sid: number): string {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const [kind, proxy, object] = line.split(".", 3);
    if (iid !== -1 && Number(proxy) !== iid) continue;
    if (typeMask !== -1 && (typeMask & (TYPED_BIT[kind ?? ""] ?? 0)) === 0) continue;
    if (sid !== -1 && Number(object) !== sid) continue;
    out.push(line);
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/** HAProxy's ages: "3s", "2m5s", "1h2m", "3d4h". */
export function humanAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export const STATS_COMMANDS: readonly Command<StatsContext>[] = [
  {
    words: ["show", "info"],
    usage: "show info [desc|json|typed|float]*",
    help: "report information about the running process",
    level: "user",
    run(call, ctx) {
      if (ctx.stats === undefined) return say("show info: stats not available");
      // HAProxy 2.6 reads these words in any order, the last form winning, and ignores any other word (measured);
      // `float` changes none of 2.6's info fields.
      let form: "text" | "typed" | "json" = "text";
      for (const a of call.args) if (a === "typed" || a === "json") form = a;
      return formatInfo(ctx.stats.info(), { form, desc: call.args.includes("desc") });
    },
  },
  {
    words: ["show", "stat"],
    usage: "show stat [<iid> <type> <sid>] [typed]",
    help: "report counters for each proxy and server",
    level: "user",
    run(call, ctx) {
      if (ctx.stats === undefined) return say("show stat: stats not available");
      const numbers = call.args.filter((a) => /^-?\d+$/.test(a));
      const words = call.args.filter((a) => !/^-?\d+$/.test(a));
      const typed = words.length === 1 && words[0] === "typed";
      if (words.length > 0 && !typed) return say(`show stat: '${words[0]}' is not supported (expected [<iid> <type> <sid>] [typed])`);
      if (numbers.length !== 0 && numbers.length !== 3) return STAT_FILTER_USAGE;
      const [iid, type, sid] = numbers.length === 0 ? [-1, -1, -1] : numbers.map(Number) as [number, number, number];
      if (typed) {
        if (ctx.stats.statTyped === undefined) return say("show stat typed: not available (the stats give the CSV layout)");
        return filterStatTyped(ctx.stats.statTyped(), iid, type, sid);
      }
      const csv = ctx.stats.statCsv();
      if (numbers.length === 0) return say(csv);
      return filterStatCsv(csv, iid, type, sid);
    },
  },
];

export const PROXY_COMMANDS: readonly Command[] = [
  ...STATS_COMMANDS,
  {
    words: ["show", "sess"],
    usage: "show sess",
    help: "report the list of current sessions",
    level: "operator",
    run(_call, ctx) {
      const nowWall = ctx.proxy.runtime.wallNow();
      let out = "";
      for (const f of ctx.proxy.frontends) {
        for (const s of f.sessions) {
          const a = s.activity();
          const c = s.client;
          const proto = c.remoteAddress.includes(":") ? "tcpv6" : "tcpv4";
          out += `0x${s.id.toString(16)}: proto=${proto} src=${c.remoteAddress}:${c.remotePort} fe=${f.name} ` +
            `be=${a.backend ?? "<NONE>"} srv=${a.server ?? "<none>"} ts=00 age=${humanAge((nowWall - s.acceptDate) / 1000)} state=${a.state}\n`;
        }
      }
      return out;
    },
  },
];
