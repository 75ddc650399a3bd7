// Header and cookie fetches of requests and responses (HAProxy 2.6 §7.3.6):
// req.hdr / res.hdr and their ACL forms, the bare `hdr` (the request in
// http-request rules, the response in response rules), req.fhdr, the
// counts, req.hdr_val, req.cook / res.cook. As a sample a header fetch gives
// the last value (or the <occ>th); in an ACL every value is tried.
import type { Head } from "../../http/message.ts";
import { parseIPv4, parseIPv6 } from "../network.ts";
import { strl2ic } from "../sample.ts";
import { HTTP_STAGES, Stage, type EachFn, type FetchDef, type SampleFn, type StageBit, type Txn } from "../types.ts";
import { define, intArg, simple, withDerivatives } from "./define.ts";
import { countValues, forEachValue, nameBytes, valueAt } from "./fields.ts";

const RESPONSE_STAGES = Stage.httpResponse | Stage.httpAfterResponse;

type Side = (t: Txn) => Head | undefined;
const request: Side = (t) => t.request;
const response: Side = (t) => t.response;

/** `hdr` reads the response where rules handle one, else the request. */
function sideFor(stage: StageBit | undefined): Side {
  return stage === Stage.httpResponse || stage === Stage.httpAfterResponse ? response : request;
}

/** Compiles name[,occ] header fetches over a side: split for req.hdr, whole lines for req.fhdr. */
function headerValues(side: Side | "by-stage", split: boolean, fetchName: string) {
  return (args: readonly string[], _env: unknown, stage?: StageBit): { one: SampleFn; each: EachFn } | string => {
    const of = side === "by-stage" ? sideFor(stage) : side;
    const name = nameBytes(args[0]);
    let occ: number | undefined;
    if (args[1] !== undefined && args[1] !== "") {
      occ = intArg(args[1]);
      if (occ === undefined) return `the occurrence '${args[1]}' of '${fetchName}' is not an integer`;
    }
    const at = occ === undefined || occ === 0 ? -1 : occ;
    const one: SampleFn = (t) => {
      const head = of(t);
      return head === undefined ? undefined : valueAt(head, name, split, at);
    };
    // With an occurrence an ACL tests that one value only.
    const each: EachFn = occ !== undefined && occ !== 0
      ? (t, visit) => {
        const s = one(t);
        return s !== undefined && visit(s);
      }
      : (t, visit) => {
        const head = of(t);
        return head !== undefined && forEachValue(head, name, split, (v, s, e) => visit(v.slice(s, e)));
      };
    return { one, each };
  };
}

function headerCount(side: Side | "by-stage", split: boolean) {
  return (args: readonly string[], _env: unknown, stage?: StageBit): { one: SampleFn } => {
    const of = side === "by-stage" ? sideFor(stage) : side;
    const name = nameBytes(args[0]);
    return {
      one: (t) => {
        const head = of(t);
        return head === undefined ? undefined : countValues(head, name, split);
      },
    };
  };
}

/** req.hdr_val / res.hdr_val: the header's value as an integer, read as HAProxy's `_val` fetches read it (32 bits). */
function headerInt(side: Side, fetchName: string) {
  return (args: readonly string[], env: unknown, stage?: StageBit): { one: SampleFn; each: EachFn } | string => {
    const values = headerValues(side, true, fetchName)(args, env, stage);
    if (typeof values === "string") return values;
    return {
      one: (t) => {
        const s = values.one(t);
        return s === undefined ? undefined : strl2ic(s as string);
      },
      each: (t, visit) => values.each(t, (s) => visit(strl2ic(s as string))),
    };
  };
}

const SCRATCH6 = new Uint16Array(8);

/**
 * A header value as an address (req.hdr_ip): IPv4 optionally followed by
 * ':port' (dropped), or IPv6; anything else is no sample.
 */
function addressIn(value: string): string | undefined {
  const colon = value.indexOf(":");
  if (colon < 0 || colon === value.lastIndexOf(":")) {
    const end = colon < 0 ? value.length : colon;
    if (parseIPv4(value, 0, end) < 0) return undefined;
    if (colon >= 0 && !/^\d{1,5}$/.test(value.slice(colon + 1))) return undefined;
    return colon < 0 ? value : value.slice(0, colon);
  }
  return parseIPv6(value, 0, value.length, SCRATCH6) ? value : undefined;
}

function headerIp(args: readonly string[], env: unknown, stage?: StageBit): { one: SampleFn; each: EachFn } | string {
  const values = headerValues(request, true, "req.hdr_ip")(args, env, stage);
  if (typeof values === "string") return values;
  return {
    one: (t) => {
      const s = values.one(t);
      return s === undefined ? undefined : addressIn(s as string);
    },
    each: (t, visit) =>
      values.each(t, (s) => {
        const ip = addressIn(s as string);
        return ip !== undefined && visit(ip);
      }),
  };
}

const COOKIE = nameBytes("cookie");
const SET_COOKIE = nameBytes("set-cookie");

/**
 * Calls `visit` with the value of each cookie named `name` (every cookie when
 * undefined): `Cookie` lines hold `a=1; b=2`, each `Set-Cookie` line one
 * cookie before its attributes. Spaces around names and values are ignored
 * (RFC 6265). True when a visit stopped.
 */
function forEachCookie(head: Head, setCookie: boolean, name: string | undefined, visit: (value: string) => boolean): boolean {
  return forEachValue(head, setCookie ? SET_COOKIE : COOKIE, false, (line) => {
    let start = 0;
    const n = line.length;
    while (start < n) {
      let end = line.indexOf(";", start);
      if (end < 0) end = n;
      const eq = line.indexOf("=", start);
      if (eq >= 0 && eq < end) {
        let ns = start;
        let ne = eq;
        while (ns < ne && (line.charCodeAt(ns) === 32 || line.charCodeAt(ns) === 9)) ns++;
        while (ne > ns && (line.charCodeAt(ne - 1) === 32 || line.charCodeAt(ne - 1) === 9)) ne--;
        if (name === undefined || (ne - ns === name.length && line.startsWith(name, ns))) {
          let vs = eq + 1;
          let ve = end;
          while (vs < ve && (line.charCodeAt(vs) === 32 || line.charCodeAt(vs) === 9)) vs++;
          while (ve > vs && (line.charCodeAt(ve - 1) === 32 || line.charCodeAt(ve - 1) === 9)) ve--;
          if (visit(line.slice(vs, ve))) return true;
        }
      }
      if (setCookie) return false;
      start = end + 1;
    }
    return false;
  });
}

function cookieValues(side: Side, setCookie: boolean) {
  return (args: readonly string[]): { one: SampleFn; each: EachFn } => {
    const name = args[0] === undefined || args[0] === "" ? undefined : args[0];
    const one: SampleFn = (t) => {
      const head = side(t);
      if (head === undefined) return undefined;
      let found: string | undefined;
      // Named: the last occurrence; unnamed: the first cookie (HAProxy).
      forEachCookie(head, setCookie, name, (v) => {
        found = v;
        return name === undefined;
      });
      return found;
    };
    const each: EachFn = (t, visit) => {
      const head = side(t);
      return head !== undefined && forEachCookie(head, setCookie, name, visit);
    };
    return { one, each };
  };
}

function cookieCount(side: Side, setCookie: boolean) {
  return (args: readonly string[]): { one: SampleFn } => {
    const name = args[0] === undefined || args[0] === "" ? undefined : args[0];
    return {
      one: (t) => {
        const head = side(t);
        if (head === undefined) return undefined;
        let n = 0;
        forEachCookie(head, setCookie, name, () => {
          n++;
          return false;
        });
        return n;
      },
    };
  };
}

export const HEADER_FETCHES: readonly FetchDef[] = [
  // `hdr` follows the rule set; its derivatives always read the request (HAProxy §7.3.6).
  define("hdr", 0, 2, "str", HTTP_STAGES, "str", headerValues("by-stage", true, "hdr")),
  ...withDerivatives(["req.hdr"], 0, 2, HTTP_STAGES, headerValues(request, true, "req.hdr")),
  ...withDerivatives(["hdr"], 0, 2, HTTP_STAGES, headerValues(request, true, "hdr")).filter((d) => d.name !== "hdr"),
  ...withDerivatives(["res.hdr", "shdr"], 0, 2, RESPONSE_STAGES, headerValues(response, true, "res.hdr")),
  define("req.fhdr", 1, 2, "str", HTTP_STAGES, "str", headerValues(request, false, "req.fhdr")),
  define("res.fhdr", 1, 2, "str", RESPONSE_STAGES, "str", headerValues(response, false, "res.fhdr")),
  define("hdr_cnt", 0, 1, "int", HTTP_STAGES, "int", headerCount("by-stage", true)),
  define("req.hdr_cnt", 0, 1, "int", HTTP_STAGES, "int", headerCount(request, true)),
  define("req.fhdr_cnt", 0, 1, "int", HTTP_STAGES, "int", headerCount(request, false)),
  define("res.hdr_cnt", 0, 1, "int", RESPONSE_STAGES, "int", headerCount(response, true)),
  define("res.fhdr_cnt", 0, 1, "int", RESPONSE_STAGES, "int", headerCount(response, false)),
  define("req.hdr_val", 0, 2, "int", HTTP_STAGES, "int", headerInt(request, "req.hdr_val")),
  define("hdr_val", 0, 2, "int", HTTP_STAGES, "int", headerInt(request, "hdr_val")),
  define("res.hdr_val", 0, 2, "int", RESPONSE_STAGES, "int", headerInt(response, "res.hdr_val")),
  define("shdr_val", 0, 2, "int", RESPONSE_STAGES, "int", headerInt(response, "shdr_val")),
  define("req.hdr_ip", 0, 2, "ip", HTTP_STAGES, "ip", headerIp),
  define("hdr_ip", 0, 2, "ip", HTTP_STAGES, "ip", headerIp),
  ...withDerivatives(["req.cook", "cook"], 0, 1, HTTP_STAGES, cookieValues(request, false)),
  define("req.cook_cnt", 0, 1, "int", HTTP_STAGES, "int", cookieCount(request, false)),
  define("cook_cnt", 0, 1, "int", HTTP_STAGES, "int", cookieCount(request, false)),
  ...withDerivatives(["res.cook", "scook"], 0, 1, RESPONSE_STAGES, cookieValues(response, true)),
  define("res.cook_cnt", 0, 1, "int", RESPONSE_STAGES, "int", cookieCount(response, true)),
  define("req.cook_val", 0, 1, "int", HTTP_STAGES, "int", asInteger(cookieValues(request, false))),
  define("cook_val", 0, 1, "int", HTTP_STAGES, "int", asInteger(cookieValues(request, false))),
  define("res.cook_val", 0, 1, "int", RESPONSE_STAGES, "int", asInteger(cookieValues(response, true))),
  define("req.hdr_names", 0, 1, "str", HTTP_STAGES, "str", headerNames(request)),
  define("res.hdr_names", 0, 1, "str", RESPONSE_STAGES, "str", headerNames(response)),
  simple("req.hdrs", "str", HTTP_STAGES, "str", (t) => headerBlock(request(t))),
  simple("res.hdrs", "str", RESPONSE_STAGES, "str", (t) => headerBlock(response(t))),
];

/** A string fetch's values as integers (HAProxy's `_val` fetches: cook_val): a sample is one, an ACL tests each. */
function asInteger(strings: (args: readonly string[]) => { one: SampleFn; each: EachFn }): (args: readonly string[]) => { one: SampleFn; each: EachFn } {
  return (args) => {
    const { one, each } = strings(args);
    return {
      one: (t) => {
        const v = one(t);
        return v === undefined ? undefined : strl2ic(v as string);
      },
      each: (t, visit) => each(t, (v) => visit(strl2ic(v as string))),
    };
  };
}

/** req.hdr_names([delim]): the fields' names in order, lower case (HAProxy's HTX names), joined by delim (","). */
function headerNames(side: Side) {
  return (args: readonly string[]): { one: SampleFn } => {
    const delim = args[0] === undefined || args[0] === "" ? "," : args[0];
    return {
      one: (t) => {
        const head = side(t);
        if (head === undefined) return undefined;
        const names: string[] = [];
        for (let i = 0; i < head.fieldCount; i++) names.push(head.name(i));
        return names.join(delim);
      },
    };
  };
}

/** req.hdrs: the fields as a header block, "name: value" CRLF each, then the empty line (HAProxy's). */
function headerBlock(head: Head | undefined): string | undefined {
  if (head === undefined) return undefined;
  let out = "";
  for (let i = 0; i < head.fieldCount; i++) out += `${head.name(i)}: ${head.value(i)}\r\n`;
  return out + "\r\n";
}
