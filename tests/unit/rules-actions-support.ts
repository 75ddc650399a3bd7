// Hand-made context and transactions for the action tests: a few fetches,
// a log-format compiler for `%[fetch]`, named ACLs as conditions, a
// recording stick-table hook, heads parsed by the real HTTP/1.1 codec.
import { FieldsHead } from "../../src/http/fields-head.ts";
import { BodyKind, type Head } from "../../src/http/message.ts";
import { H1Parser } from "../../src/http1/parser.ts";
import { compileHttpAction } from "../../src/rules/actions/index.ts";
import type { ActionContext, RuleSet } from "../../src/rules/actions/types.ts";
import type { Action, ActionTxn, Condition, Sample, SampleFn, TrackedEntry, Txn, VarScope } from "../../src/rules/types.ts";

export function bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function text(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** The head an HTTP/1.1 message parses to. */
export function parseHead(message: string, side: "request" | "response"): Head {
  let head: Head | undefined;
  const p = new H1Parser(side, {
    head: (h) => {
      head = h;
    },
    data: () => {},
    trailers: () => {},
    end: () => {},
    error: (e) => {
      throw new Error(`${e.code} in ${JSON.stringify(message)}`);
    },
  });
  if (side === "response") p.setRequestMethod("GET");
  p.push(bytes(message));
  if (head === undefined) throw new Error("no head");
  return head;
}

/** `GET path` with these header lines. */
export function request(target = "/", headers: string[] = ["Host: example.com"], method = "GET"): Head {
  return parseHead(`${method} ${target} HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`, "request");
}

/** A request head built from fields, as HTTP/2 requests are (its target may hold what HTTP/1.1 refuses, such as "#"). */
export function fieldsRequest(target: string, headers: [string, string][] = [["host", "example.com"]], method = "GET"): Head {
  return new FieldsHead(headers, { isRequest: true, method, target, bodyKind: BodyKind.None, host: headers.find(([n]) => n === "host")?.[1] });
}

export function response(status = 200, headers: string[] = ["Content-Length: 0"]): Head {
  return parseHead(`HTTP/1.1 ${status} Whatever\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`, "response");
}

class MapVars {
  readonly store = new Map<string, Sample>();
  get(scope: VarScope, name: string) {
    return this.store.get(`${scope}.${name}`);
  }
  set(scope: VarScope, name: string, value: Sample) {
    this.store.set(`${scope}.${name}`, value);
  }
  unset(scope: VarScope, name: string) {
    this.store.delete(`${scope}.${name}`);
  }
}

export type TestTxn = ActionTxn & { vars: MapVars; responseCaptures: string[] };

export function txn(req: Head | undefined = request(), res?: Head): TestTxn {
  return {
    now: 1000,
    client: { address: "192.0.2.7", port: 40000, localAddress: "127.0.0.1", localPort: 8080, tls: undefined },
    frontend: "fe",
    backend: undefined,
    request: req,
    response: res,
    payload: undefined,
    vars: new MapVars(),
    world: { usableServers: () => 1, serverUp: () => true, env: () => undefined, wallNow: () => 1_700_000_000_000 },
    tracked: [undefined, undefined, undefined],
    reply: undefined,
    logLevel: undefined,
    captures: [],
    responseCaptures: [],
  };
}

/** The few fetches the tests use. */
function fetch(text: string): SampleFn | string {
  let m: RegExpExecArray | null;
  if (text === "src") return (t) => t.client.address;
  if (text === "path") return (t) => t.request?.target.split("?")[0];
  if (text === "url") return (t) => t.request?.target;
  if (text === "method") return (t) => t.request?.method;
  if ((m = /^req\.hdr\(([^)]*)\)$/.exec(text))) {
    const name = m[1]!.toLowerCase();
    return (t) => t.request?.get(name);
  }
  if ((m = /^res\.hdr\(([^)]*)\)$/.exec(text))) {
    const name = m[1]!.toLowerCase();
    return (t) => t.response?.get(name);
  }
  if ((m = /^int\((-?\d+)\)$/.exec(text))) {
    const n = Number(m[1]);
    return () => n;
  }
  if ((m = /^str\(([^)]*)\)$/.exec(text))) {
    const s = m[1]!;
    return () => s;
  }
  if ((m = /^var\((\w+)\.(\w+)\)$/.exec(text))) {
    const scope = m[1] as VarScope;
    const name = m[2]!;
    return (t) => t.vars.get(scope, name);
  }
  if (text === "throws") {
    return () => {
      throw new Error("fetch failed");
    };
  }
  return `unknown fetch '${text}'`;
}

/** `%[fetch]` and plain text; anything else after `%` is refused. */
function format(source: string): ((t: Txn) => string) | string {
  const parts: (string | SampleFn)[] = [];
  let i = 0;
  while (i < source.length) {
    const pc = source.indexOf("%", i);
    if (pc < 0) {
      parts.push(source.slice(i));
      break;
    }
    if (pc > i) parts.push(source.slice(i, pc));
    if (source[pc + 1] !== "[") return `unsupported log-format item at '${source.slice(pc)}'`;
    const end = source.indexOf("]", pc);
    const f = fetch(source.slice(pc + 2, end));
    if (typeof f === "string") return f;
    parts.push(f);
    i = end + 1;
  }
  return (t) => {
    let out = "";
    for (const p of parts) {
      if (typeof p === "string") out += p;
      else {
        const s = p(t);
        out += s === undefined ? "" : String(s);
      }
    }
    return out;
  };
}

export interface TestContext extends ActionContext {
  acls: Record<string, Condition>;
  tracks: { slot: number; table: string }[];
  warnings: string[];
  files: Record<string, string | Uint8Array>;
  errorFiles: Record<number, Uint8Array>;
  captureSlots: number[];
  responseCaptureSlots: number[];
  formats: string[];
}

/** A context whose conditions are `if|unless NAME...` over `acls` (all must hold). */
export function context(overrides: Partial<TestContext> = {}): TestContext {
  const ctx: TestContext = {
    acls: { yes: () => true, no: () => false },
    tracks: [],
    warnings: [],
    files: {},
    errorFiles: {},
    captureSlots: [],
    responseCaptureSlots: [8],
    formats: [],
    proxy: "fe",
    env: {
      readFile: (path) => {
        const f = ctx.files[path];
        if (f === undefined) throw new Error(`cannot open ${path}`);
        return typeof f === "string" ? f : text(f);
      },
      readBytes: (path) => {
        const f = ctx.files[path];
        if (f === undefined) throw new Error(`cannot open ${path}`);
        return typeof f === "string" ? bytes(f) : f;
      },
      hasTable: (name) => name === "t1" || name === "own",
      ownTable: "own",
      hasBackend: () => true,
    },
    condition(words) {
      const negate = words[0] === "unless";
      const terms: Condition[] = [];
      for (const w of words.slice(1)) {
        const acl = ctx.acls[w];
        if (acl === undefined) return `unknown ACL '${w}'`;
        terms.push(acl);
      }
      if (terms.length === 0) return "missing condition";
      return (t) => terms.every((c) => c(t)) !== negate;
    },
    format(text) {
      ctx.formats.push(text);
      return format(text);
    },
    expr: fetch,
    errorFile: (status) => ctx.errorFiles[status],
    track(slot, key, table) {
      ctx.tracks.push({ slot, table });
      const entry: TrackedEntry & { gpc: Record<string, number> } = {
        table,
        gpc: { gpc0: 0, gpc1: 0 },
        read: (counter) => entry.gpc[counter],
        increment: (counter) => {
          entry.gpc[counter]!++;
        },
      };
      return (t) => {
        if (key(t) !== undefined) t.tracked[slot] = entry;
      };
    },
    declareCapture(length) {
      ctx.captureSlots.push(length);
      return ctx.captureSlots.length - 1;
    },
    captureLength(direction, id) {
      return (direction === "request" ? ctx.captureSlots : ctx.responseCaptureSlots)[id];
    },
    warn(message) {
      ctx.warnings.push(message);
    },
    ...overrides,
  };
  return ctx;
}

/** Compiles a rule line (the words after the rule-set keyword, split on spaces), failing the test on an error. */
export function action(set: RuleSet, line: string | string[], ctx: ActionContext = context()): Action {
  const words = typeof line === "string" ? line.split(" ") : line;
  const compiled = compileHttpAction(set, words, ctx);
  if (typeof compiled === "string") throw new Error(`${line}: ${compiled}`);
  return compiled;
}

/** The error a rule line compiles to (undefined when it compiles). */
export function compileError(set: RuleSet, line: string | string[], ctx: ActionContext = context()): string | undefined {
  const compiled = compileHttpAction(set, typeof line === "string" ? line.split(" ") : line, ctx);
  return typeof compiled === "string" ? compiled : undefined;
}

/** The fields of a head as "Name: value" lines. */
export function fieldLines(h: Head | undefined): string[] {
  const out: string[] = [];
  if (h !== undefined) for (let i = 0; i < h.fieldCount; i++) out.push(`${h.originalName(i)}: ${h.value(i)}`);
  return out;
}
