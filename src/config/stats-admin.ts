// `stats admin { if | unless } <cond>` (issue 16): which requests to the stats
// listener may change servers. The condition is HAProxy's, compiled by the
// rules layer at the http-request stage, with the section's own `acl` lines.
// The stats listener is no proxy: it has no stick counters, no backends, no
// userlists, so the fetches that read them are refused here, at load, rather
// than never matching at run time.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { compileCondition, type ParsedAcl, parseAcl } from "../rules/acl.ts";
import { type CompileEnv, type Condition, Stage } from "../rules/types.ts";
import type { Origin } from "./types.ts";

/** Fetches and converters that read a stick table or a tracked counter: nothing tracks on a stats listener. */
const NEEDS_A_PROXY = /^(sc\d?_|src_|table_)/;

/** One `acl NAME <fetch> ...` line of the stats section, with where to report its problems. */
export interface AclLine {
  readonly words: readonly string[];
  fail(detail: string): void;
}

function unavailable(acl: ParsedAcl): string | undefined {
  const names = [acl.expr.fetch.name, ...acl.expr.converters.map((c) => c.def.name)];
  const bad = names.find((n) => NEEDS_A_PROXY.test(n));
  return bad === undefined ? undefined : `'${bad}' cannot be used on a stats listener (it has no stick tables or tracked counters; usable: src, dst, path, method, hdr, always_true...)`;
}

/** The ACLs the section declares, by name; each bad line is reported through its own `fail`. */
export function namedAcls(lines: readonly AclLine[]): Map<string, ParsedAcl[]> {
  const acls = new Map<string, ParsedAcl[]>();
  for (const line of lines) {
    const [name, ...rest] = line.words;
    if (name === undefined || rest.length === 0) {
      line.fail("expected a name and a fetch (usage: acl <name> <fetch>[,<converter>...] [flags] [<operator>] [<value>...])");
      continue;
    }
    const parsed = parseAcl(rest);
    const problem = typeof parsed === "string" ? parsed : unavailable(parsed);
    if (problem !== undefined) {
      line.fail(`acl ${name}: ${problem}`);
      continue;
    }
    const list = acls.get(name);
    if (list === undefined) acls.set(name, [parsed as ParsedAcl]);
    else list.push(parsed as ParsedAcl);
  }
  return acls;
}

/** Anonymous ACLs (`{ ... }`) of the condition checked for what a stats listener lacks. */
function inlineProblem(words: readonly string[]): string | undefined {
  for (let open = words.indexOf("{"); open >= 0; open = words.indexOf("{", open + 1)) {
    const close = words.indexOf("}", open + 1);
    if (close < 0) return undefined;
    const parsed = parseAcl(words.slice(open + 1, close));
    if (typeof parsed !== "string") {
      const problem = unavailable(parsed);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** The compiled condition, or the message saying why not (the caller puts it at the `stats admin` line). */
export function compileStatsAdmin(words: readonly string[], acls: ReadonlyMap<string, readonly ParsedAcl[]>, origin: Origin): Condition | string {
  const base = origin.file === undefined ? "." : dirname(origin.file);
  const resolve = (path: string) => (isAbsolute(path) ? path : join(base, path));
  const env: CompileEnv = {
    readFile: (path) => readFileSync(resolve(path), "utf8"),
    readBytes: (path) => new Uint8Array(readFileSync(resolve(path))),
    hasTable: () => false,
    ownTable: undefined,
    hasBackend: () => false,
  };
  const inline = inlineProblem(words);
  if (inline !== undefined) return `stats admin: ${inline}`;
  const compiled = compileCondition(words, acls, Stage.httpRequest, env);
  return typeof compiled === "string" ? `stats admin: ${compiled}` : compiled;
}
