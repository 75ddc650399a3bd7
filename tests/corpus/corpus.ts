// Runs `haproxy -c -f` and `sluice check -f` on every corpus file (prepared
// by standins.ts) and puts the answers side by side. Used by
// tests/e2e/corpus.test.ts and by the table script (table.ts).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import type { Target } from "../e2e/harness.ts";
import { prepareCorpus, type PreparedFile } from "./standins.ts";

export interface Verdict {
  accepted: boolean;
  /** The first error line (without the process's decorations), when refused. */
  first?: string;
  /** Every error line, when refused (sluice reports them all). */
  errors?: string[];
  /** A note on an acceptance (HAProxy: valid, but no listener to start). */
  note?: string;
}

export interface CorpusRow {
  name: string;
  haproxy: Verdict;
  sluice: Verdict;
}

function lines(text: string): string[] {
  return text.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((l) => l.trim()).filter(Boolean);
}

export function checkWithHaproxy(file: PreparedFile, cwd: string): Verdict {
  const r = spawnSync("haproxy", ["-c", "-f", file.path], { cwd, encoding: "utf8", env: { ...process.env, ...file.env } });
  if (r.status === 0) return { accepted: true };
  const all = lines(`${r.stderr}${r.stdout}`);
  // `-c` exits 2 on a valid file that has nothing to listen on (a defaults-only fragment).
  if (r.status === 2 && all.some((l) => l.startsWith("Configuration file has no error"))) return { accepted: true, note: "no listener" };
  const alert = all.find((l) => l.includes("[ALERT]"));
  return { accepted: false, first: (alert ?? "no output").replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, "") };
}

/** Runs a command to its end: exit status and everything it printed. */
function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ status: number | null; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (b: Buffer) => (text += b.toString()));
    child.stderr.on("data", (b: Buffer) => (text += b.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, text }));
  });
}

export async function checkWithSluice(target: Target, file: PreparedFile, cwd: string): Promise<Verdict> {
  const [cmd, ...args] = target.command(["check", "-f", file.path]);
  const r = await run(cmd!, args, cwd, { ...file.env, NO_COLOR: "1" });
  if (r.status === 0) return { accepted: true };
  const all = lines(r.text).filter((l) => !l.startsWith("warning:") && !l.startsWith("notice:") && !/^\d+ errors? in the configuration$/.test(l));
  return { accepted: false, first: all[0] ?? "no output", errors: all };
}

/** A fresh directory holding the prepared corpus. */
export function preparedCorpus(): { dir: string; files: PreparedFile[] } {
  const dir = mkdtempSync(join(tmpdir(), "sluice-corpus-"));
  mkdirSync(join(dir, "pki"));
  return { dir, files: prepareCorpus(dir) };
}

/** Checks every file with both; sluice's checks run three at a time (each is a process start). */
export async function runCorpus(target: Target): Promise<{ dir: string; files: PreparedFile[]; rows: CorpusRow[] }> {
  const { dir, files } = preparedCorpus();
  const rows: CorpusRow[] = files.map((file) => ({ name: file.name, haproxy: checkWithHaproxy(file, dir), sluice: { accepted: false } }));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) rows[i]!.sluice = await checkWithSluice(target, files[i]!, dir);
  };
  await Promise.all([worker(), worker(), worker()]);
  return { dir, files, rows };
}

/**
 * The keyword an error line is about: `option x`, `bind x` (an option of
 * bind), `timeout x`, `section x`, or the first word it quotes.
 */
export function refusedKeyword(error: string): string {
  const place = error.replace(/^\S+?:\d+: /, "");
  // The context first: "global: ", "backend 'b': server 's': "...
  const context = place.match(/^(?:(?:global|defaults|(?:frontend|backend|listen|defaults|userlist) '[^']*'|server '[^']*'): )*/)![0];
  const text = place.slice(context.length);
  const named = text.match(/^(option|bind option|timeout|section) '([^']+)'/);
  if (named) {
    const kind = named[1] === "bind option" ? "bind" : named[1] === "option" && context.includes("server '") ? "server" : named[1];
    return `${kind} ${named[2]}`;
  }
  const logLine = text.match(/^[^']*?\blog: /);
  if (logLine) return "log";
  return text.match(/'([^']+)'/)?.[1] ?? text;
}

/**
 * Whether a sluice error names the file, a line of it, and a keyword written
 * on that line (the error's quoted word is on the line it names).
 */
export function namesFileLineKeyword(error: string, file: PreparedFile): boolean {
  const m = error.match(/^(.+?):(\d+): (.*)$/);
  if (!m || m[1] !== file.path) return false;
  const line = readFileSync(file.path, "utf8").split("\n")[Number(m[2]) - 1];
  if (line === undefined) return false;
  const quoted = [...m[3]!.matchAll(/'([^']+)'/g)].map((q) => q[1]!);
  return quoted.some((word) => line.includes(word.split(" ")[0]!));
}

/** Refusals of the files HAProxy accepts, counted by keyword (each file once per keyword), most frequent first. */
export function refusalsByKeyword(rows: CorpusRow[]): [keyword: string, files: string[]][] {
  const by = new Map<string, Set<string>>();
  for (const row of rows) {
    if (!row.haproxy.accepted || row.sluice.accepted) continue;
    for (const error of row.sluice.errors ?? []) {
      const key = refusedKeyword(error);
      let set = by.get(key);
      if (set === undefined) by.set(key, (set = new Set()));
      set.add(row.name);
    }
  }
  return [...by.entries()].map(([k, v]): [string, string[]] => [k, [...v]]).sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
}

export interface CorpusRate {
  /** Files HAProxy 2.6 accepts. */
  haproxyAccepted: number;
  /** Of those, the files sluice accepts too. */
  bothAccepted: number;
  percent: number;
}

export function rateOf(rows: CorpusRow[]): CorpusRate {
  const haproxyAccepted = rows.filter((r) => r.haproxy.accepted).length;
  const bothAccepted = rows.filter((r) => r.haproxy.accepted && r.sluice.accepted).length;
  return { haproxyAccepted, bothAccepted, percent: haproxyAccepted === 0 ? 0 : (100 * bothAccepted) / haproxyAccepted };
}

/** A verdict as a Markdown table cell: the error without the prepared file's path, shortened, its pipes escaped. */
function cell(v: Verdict): string {
  if (v.accepted) return v.note === undefined ? "accepted" : `accepted (${v.note})`;
  const text = (v.first ?? "").replace(/\S*\/(\S+\.cfg)[:\]]/, "line ").replace(/\|/g, "\\|");
  return `refused: ${text.length > 140 ? `${text.slice(0, 137)}...` : text}`;
}

/** A Markdown table: file, HAProxy's answer, sluice's answer. */
export function formatTable(rows: CorpusRow[]): string {
  const rate = rateOf(rows);
  const out = [
    "| file | haproxy 2.6 -c | sluice check |",
    "| --- | --- | --- |",
    ...rows.map((r) => `| ${basename(r.name)} | ${cell(r.haproxy)} | ${cell(r.sluice)} |`),
    "",
    `${rows.length} files; HAProxy 2.6 accepts ${rate.haproxyAccepted}; sluice accepts ${rate.bothAccepted} of those (${rate.percent.toFixed(1)} %).`,
    "",
    "Refusals among the files HAProxy accepts, by keyword (files):",
    "",
    ...refusalsByKeyword(rows).map(([keyword, files]) => `- \`${keyword}\`: ${files.length}`),
  ];
  return out.join("\n");
}
