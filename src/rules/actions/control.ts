// Actions that steer the transaction rather than edit a message: allow,
// set-var/set-var-fmt/unset-var, set-log-level, capture, set-status,
// set-src, set-dst, set-dst-port, sc-inc-gpc0/1, track-sc0/1/2 and use-service.
import { isFieldValue, isToken, setStatus } from "../../http/edit-head.ts";
import { parseNetwork } from "../network.ts";
import { type ActionTxn, type Sample, type VarScope, Verdict } from "../types.ts";
import { atEnd, compileFormat, CONTINUE, headSlot, isConditionWord, parseInteger } from "./common.ts";
import { toInt, toStr } from "../sample.ts";
import type { ActionDef, Parsed, RuleSet } from "./types.ts";

const ALL: readonly RuleSet[] = ["http-request", "http-response", "http-after-response"];
const REQ_RES: readonly RuleSet[] = ["http-request", "http-response"];

const allow: ActionDef = {
  name: "allow",
  sets: ALL,
  parse: () => ({ next: 1, run: () => Verdict.stop }),
};

/**
 * `http-request early-hint <name> <fmt>`: a field of the 103 Early Hints
 * response sent to the client once the request rules are done (RFC 8297:
 * preload links while the server works), as HAProxy does.
 */
const earlyHint: ActionDef = {
  name: "early-hint",
  sets: ["http-request"],
  parse(words, _arg, ctx): Parsed | string {
    const [, name, value] = words;
    if (name === undefined || value === undefined || isConditionWord(name) || isConditionWord(value)) return "'early-hint' expects <name> and <fmt>";
    if (!isToken(name)) return `'early-hint': invalid header name '${name}'`;
    const format = ctx.format(value);
    if (typeof format === "string") return `'early-hint' ${format}`;
    return {
      next: 3,
      run: (t: ActionTxn) => {
        const v = format(t);
        if (isFieldValue(v)) (t.earlyHints ??= []).push([name, v]);
        return Verdict.continue;
      },
    };
  },
};

/** `http-request reject`: the rules stop and the client connection closes at once, without an answer (HAProxy's PR--). */
const reject: ActionDef = {
  name: "reject",
  sets: ["http-request"],
  parse: () => ({ next: 1, run: () => Verdict.reject }),
};

const SCOPES: readonly VarScope[] = ["proc", "sess", "txn", "req", "res"];

/** `scope.name` as set-var and unset-var write it. */
export function parseVarName(action: string, text: string | undefined): { scope: VarScope; name: string } | string {
  if (text === undefined || text === "") return `'${action}' expects a variable name in parentheses: ${action}(<scope>.<name>)`;
  const dot = text.indexOf(".");
  const scope = text.slice(0, dot) as VarScope;
  const name = text.slice(dot + 1);
  if (dot < 0 || !SCOPES.includes(scope)) {
    return `'${action}': variable '${text}' needs a scope among ${SCOPES.join(", ")} (such as txn.${dot < 0 ? text : name})`;
  }
  if (!/^[A-Za-z0-9_.]+$/.test(name)) return `'${action}': variable name '${name}' may only contain letters, digits, '_' and '.'`;
  return { scope, name };
}

type VarCondition = (current: Sample | undefined, input: Sample) => boolean;

/** set-var's conditions (HAProxy 2.6): the variable is set only when all hold. */
const VAR_CONDITIONS: Readonly<Record<string, VarCondition>> = {
  // The Vars store does not tell a variable that exists from one that is set: both mean "has a value".
  ifexists: (current) => current !== undefined,
  ifnotexists: (current) => current === undefined,
  ifset: (current) => current !== undefined,
  ifnotset: (current) => current === undefined,
  ifempty: (_current, input) => typeof input === "string" && input.length === 0,
  ifnotempty: (_current, input) => !(typeof input === "string" && input.length === 0),
  ifgt: (current, input) => typeof current !== "number" || typeof input !== "number" || current > input,
  iflt: (current, input) => typeof current !== "number" || typeof input !== "number" || current < input,
};

function setVar(action: "set-var" | "set-var-fmt"): ActionDef {
  return {
    name: action,
    sets: ALL,
    paren: true,
    parse(words, arg, ctx): Parsed | string {
      const [varText, ...condNames] = (arg ?? "").split(",");
      const v = parseVarName(action, varText);
      if (typeof v === "string") return v;
      if (condNames.length > 4) return `'${action}': at most 4 conditions are allowed`;
      const conditions: VarCondition[] = [];
      for (const c of condNames) {
        const cond = VAR_CONDITIONS[c];
        if (cond === undefined) return `'${action}': unknown condition '${c}' (expected ${Object.keys(VAR_CONDITIONS).join(", ")})`;
        conditions.push(cond);
      }
      const text = words[1];
      if (text === undefined || text === "" || isConditionWord(text)) return `'${action}' expects ${action === "set-var" ? "<expr>" : "<fmt>"}`;
      let value: (t: ActionTxn) => Sample | undefined;
      if (action === "set-var") {
        const expr = ctx.expr(text);
        if (typeof expr === "string") return `'${action}' <expr>: ${expr}`;
        value = expr;
      } else {
        const format = compileFormat(text, ctx);
        if (typeof format === "string") return `'${action}' <fmt>: ${format}`;
        value = format;
      }
      const { scope, name } = v;
      return {
        next: 2,
        run: (t) => {
          const input = value(t);
          if (input === undefined) return CONTINUE;
          if (conditions.length > 0) {
            const current = t.vars.get(scope, name);
            for (const cond of conditions) if (!cond(current, input)) return CONTINUE;
          }
          t.vars.set(scope, name, input);
          return CONTINUE;
        },
      };
    },
  };
}

const unsetVar: ActionDef = {
  name: "unset-var",
  sets: ALL,
  paren: true,
  parse(_words, arg): Parsed | string {
    const v = parseVarName("unset-var", arg);
    if (typeof v === "string") return v;
    const { scope, name } = v;
    return {
      next: 1,
      run: (t) => {
        t.vars.unset(scope, name);
        return CONTINUE;
      },
    };
  },
};

const LOG_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "silent"];

const setLogLevel: ActionDef = {
  name: "set-log-level",
  sets: REQ_RES,
  parse(words): Parsed | string {
    const level = words[1];
    if (level === undefined || !LOG_LEVELS.includes(level)) {
      return `'set-log-level' expects a level among ${LOG_LEVELS.join(", ")}${level === undefined ? "" : ` (was '${level}')`}`;
    }
    return {
      next: 2,
      run: (t) => {
        t.logLevel = level;
        return CONTINUE;
      },
    };
  },
};

/**
 * `disable-l7-retry`: the request is not sent again for what `retry-on`
 * says of the response (a status, an empty or junk response, a response
 * timeout); a connection failure is still retried.
 */
const disableL7Retry: ActionDef = {
  name: "disable-l7-retry",
  sets: ["http-request"],
  parse(): Parsed | string {
    return {
      next: 1,
      run: (t) => {
        t.l7RetryDisabled = true;
        return CONTINUE;
      },
    };
  },
};

/**
 * `set-timeout server|tunnel TIME|EXPR` (http-request, in a backend or a
 * listen): this stream's timeout, over the backend's. A time is checked as
 * the rule is read (0 refused); an expression's integer is milliseconds, and
 * 0 or no integer leaves the timeout as it was (HAProxy 2.6's, measured).
 */
const setTimeoutAction: ActionDef = {
  name: "set-timeout",
  sets: ["http-request"],
  parse(words, _arg, ctx): Parsed | string {
    if (ctx.backendCapable === false) return `'set-timeout': proxy '${ctx.proxy}' has no backend capability.`;
    const [, which, value] = words;
    if (which === undefined || value === undefined || isConditionWord(value)) return "'set-timeout' expects exactly 2 arguments.";
    if (which !== "server" && which !== "tunnel") return `'set-timeout' rule supports 'server'/'tunnel' (got '${which}').`;
    const fixed = ctx.duration?.(value);
    let ms: (t: ActionTxn) => number | undefined;
    if (typeof fixed === "number") {
      if (fixed === 0) return `'set-timeout': null value is not valid for a 'set-timeout ${which}' rule.`;
      ms = () => fixed;
    } else {
      const expr = ctx.expr(value);
      if (typeof expr === "string") return `'set-timeout': unexpected character '${/[^0-9]/.exec(value)?.[0] ?? value[0]}' in rule 'set-timeout ${which}'.`;
      ms = (t) => {
        const s = expr(t);
        return s === undefined ? undefined : toInt(s);
      };
    }
    return {
      next: 3,
      run: (t) => {
        const v = ms(t);
        if (v !== undefined && v > 0) {
          if (which === "server") t.serverTimeout = v;
          else t.tunnelTimeout = v;
        }
        return CONTINUE;
      },
    };
  },
};

/** capture SAMPLE len N (http-request: a new slot) | id N (a declared slot). */
const capture: ActionDef = {
  name: "capture",
  sets: ALL,
  parse(words, _arg, ctx, set): Parsed | string {
    const text = words[1];
    if (text === undefined || text === "" || isConditionWord(text)) return "'capture' expects <sample>";
    const how = words[2];
    const n = parseInteger(words[3]);
    const forms = set === "http-request" ? "'len <length>' or 'id <id>'" : "'id <id>'";
    if ((how !== "len" || set !== "http-request") && how !== "id") return `'capture' expects ${forms} after <sample>`;
    if (n === undefined || n < (how === "len" ? 1 : 0)) return `'capture' '${how}' expects a ${how === "len" ? "positive length" : "slot id"} (was '${words[3] ?? ""}')`;
    const expr = ctx.expr(text);
    if (typeof expr === "string") return `'capture' <sample>: ${expr}`;
    const direction = set === "http-request" ? "request" : "response";
    let slot: number;
    let length: number;
    if (how === "len") {
      slot = ctx.declareCapture(n);
      length = n;
    } else {
      const declared = ctx.captureLength(direction, n);
      if (declared === undefined) return `'capture': no ${direction} capture slot with id ${n} is declared`;
      slot = n;
      length = declared;
    }
    return {
      next: 4,
      run: (t) => {
        const slots = direction === "request" ? t.captures : t.responseCaptures;
        if (slots === undefined) return CONTINUE;
        const s = expr(t);
        if (s === undefined) return CONTINUE;
        const value = toStr(s);
        slots[slot] = value.length > length ? value.slice(0, length) : value;
        return CONTINUE;
      },
    };
  },
};

/** set-status N [reason R] (responses). */
const setStatusAction: ActionDef = {
  name: "set-status",
  sets: ["http-response", "http-after-response"],
  parse(words, _arg, _ctx, set): Parsed | string {
    const status = parseInteger(words[1]);
    if (status === undefined || status < 100 || status > 999) {
      return `'set-status' expects an integer status code between 100 and 999${words[1] === undefined ? "" : ` (was '${words[1]}')`}`;
    }
    let reason: string | undefined;
    let next = 2;
    if (words[2] === "reason" && !atEnd(words, 3)) {
      reason = words[3];
      next = 4;
    }
    const slot = headSlot(set);
    return {
      next,
      run: (t) => {
        const head = slot.read(t);
        if (head === undefined) return CONTINUE;
        const edited = setStatus(head, status, reason);
        if (edited !== undefined) slot.write(t, edited);
        return CONTINUE;
      },
    };
  },
};

/** An address set-src may take: an IP address (no prefix), or an integer as HAProxy casts it to IPv4. */
function addressOf(s: Sample): string | undefined {
  if (typeof s === "number") {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) return undefined;
    return `${(s >>> 24) & 255}.${(s >>> 16) & 255}.${(s >>> 8) & 255}.${s & 255}`;
  }
  if (typeof s !== "string" || s.length === 0 || s.includes("/")) return undefined;
  const text = s.trim();
  return typeof parseNetwork(text) === "string" ? undefined : text;
}

/** set-src EXPR: the client address seen by every later rule and log (its port is kept). */
const setSrc: ActionDef = {
  name: "set-src",
  sets: ["http-request"],
  parse(words, _arg, ctx): Parsed | string {
    const text = words[1];
    if (text === undefined || text === "" || isConditionWord(text)) return "'set-src' expects <expr>";
    const expr = ctx.expr(text);
    if (typeof expr === "string") return `'set-src' <expr>: ${expr}`;
    return {
      next: 2,
      run: (t) => {
        const s = expr(t);
        const address = s === undefined ? undefined : addressOf(s);
        if (address !== undefined && address !== t.client.address) t.client = { ...t.client, address };
        return CONTINUE;
      },
    };
  },
};

/**
 * set-dst EXPR / set-dst-port EXPR: the address and port the client reached,
 * as every later rule and log sees them, and where a server written
 * `0.0.0.0` (or without a port) connects (HAProxy: "use '0.0.0.0:0' as a
 * server address to connect to the new address/port"). set-dst keeps the
 * port, set-dst-port the address.
 */
function setDestination(name: "set-dst" | "set-dst-port"): ActionDef {
  return {
    name,
    sets: ["http-request"],
    parse(words, _arg, ctx): Parsed | string {
      const text = words[1];
      if (text === undefined || text === "" || isConditionWord(text)) return `'${name}' expects <expr>`;
      const expr = ctx.expr(text);
      if (typeof expr === "string") return `'${name}' <expr>: ${expr}`;
      if (name === "set-dst") {
        return {
          next: 2,
          run: (t) => {
            const s = expr(t);
            const localAddress = s === undefined ? undefined : addressOf(s);
            if (localAddress !== undefined && localAddress !== t.client.localAddress) t.client = { ...t.client, localAddress };
            return CONTINUE;
          },
        };
      }
      return {
        next: 2,
        run: (t) => {
          const s = expr(t);
          const localPort = typeof s === "number" ? s : typeof s === "string" ? parseInteger(s) : undefined;
          if (localPort === undefined || !Number.isInteger(localPort) || localPort < 0 || localPort > 65535) return CONTINUE;
          if (localPort !== t.client.localPort) t.client = { ...t.client, localPort };
          return CONTINUE;
        },
      };
    },
  };
}

function stickCounter(action: string, text: string | undefined): number | string {
  const n = parseInteger(text);
  if (n === undefined || n < 0 || n > 2) return `'${action}': invalid stick counter '${text ?? ""}' (expected 0, 1 or 2)`;
  return n;
}

function incGpc(counter: "gpc0" | "gpc1"): ActionDef {
  const action = `sc-inc-${counter}`;
  return {
    name: action,
    sets: REQ_RES,
    paren: true,
    parse(_words, arg): Parsed | string {
      const sc = stickCounter(action, arg);
      if (typeof sc === "string") return sc;
      return {
        next: 1,
        run: (t) => {
          // No entry tracked on that counter, or a store without gpc: HAProxy ignores the action too.
          const entry = t.tracked[sc];
          if (entry === undefined) return CONTINUE;
          if (entry.increment !== undefined) entry.increment(counter, t.now);
          else entry.add?.(counter, t.now);
          return CONTINUE;
        },
      };
    },
  };
}

function trackSc(slot: number): ActionDef {
  const action = `track-sc${slot}`;
  return {
    name: action,
    sets: REQ_RES,
    parse(words, _arg, ctx): Parsed | string {
      const text = words[1];
      if (text === undefined || text === "" || isConditionWord(text)) return `'${action}' expects <key>`;
      let table = ctx.env.ownTable;
      let next = 2;
      if (words[2] === "table") {
        table = words[3];
        if (table === undefined || table === "" || isConditionWord(table)) return `'${action}' 'table' expects <table>`;
        if (!ctx.env.hasTable(table)) return `'${action}': unknown stick-table '${table}'`;
        next = 4;
      }
      if (table === undefined) return `'${action}': no stick-table to track in (this proxy declares none; add 'table <name>')`;
      const key = ctx.expr(text);
      if (typeof key === "string") return `'${action}' <key>: ${key}`;
      const hook = ctx.track(slot, key, table);
      if (typeof hook === "string") return `'${action}': ${hook}`;
      return {
        next,
        run: (t) => {
          // The first track-sc<slot> that runs wins for the whole session (HAProxy).
          if (t.tracked[slot] === undefined) hook(t);
          return CONTINUE;
        },
      };
    },
  };
}

/** `use-service NAME`: an applet of the proxy answers the request (the request stage calls it); sluice has HAProxy's Prometheus exporter. */
const useService: ActionDef = {
  name: "use-service",
  sets: ["http-request"],
  parse(words): Parsed | string {
    const name = words[1];
    if (name !== "prometheus-exporter") return `use-service: ${name === undefined ? "expects a service name" : `unknown service '${name}'`} (supported: prometheus-exporter)`;
    return {
      next: 2,
      run: (t: ActionTxn) => {
        t.serviceName = name;
        return Verdict.stop;
      },
    };
  },
};

export const CONTROL_ACTIONS: readonly ActionDef[] = [
  allow,
  useService,
  setVar("set-var"),
  setVar("set-var-fmt"),
  reject,
  earlyHint,
  unsetVar,
  setLogLevel,
  disableL7Retry,
  setTimeoutAction,
  capture,
  setStatusAction,
  setSrc,
  setDestination("set-dst"),
  setDestination("set-dst-port"),
  incGpc("gpc0"),
  incGpc("gpc1"),
  trackSc(0),
  trackSc(1),
  trackSc(2),
];
