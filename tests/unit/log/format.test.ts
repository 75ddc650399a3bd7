import { describe, expect, test } from "bun:test";
import { checkLogFormat } from "../../../src/config/log-format.ts";
import {
  compileLogFormat,
  LOG_FORMAT_VARIABLE_NAMES,
  LogFormatError,
  parseLogFormat,
} from "../../../src/log/format.ts";
import { createHttpLogRecord } from "../../../src/log/http-log.ts";
import { docRecord } from "./fixtures.ts";

const fmt = (f: string, r = docRecord()) => compileLogFormat(f, { hostname: "lb1", pid: 4242 })(r);

function errorOf(f: string): LogFormatError {
  try {
    compileLogFormat(f);
  } catch (e) {
    expect(e).toBeInstanceOf(LogFormatError);
    return e as LogFormatError;
  }
  throw new Error(`'${f}' compiled`);
}

describe("parsing into parts", () => {
  test("text, separators, variables with flags; %o sets later defaults", () => {
    const Q = { quote: true, hex: false, escape: false, mandatory: true };
    const plain = { quote: false, hex: false, escape: false, mandatory: true };
    expect(parseLogFormat("a%%b %ci:%{+Q,+X}cp  [%{+Q}o%b]")).toEqual([
      { type: "text", text: "a%b" },
      { type: "separator" },
      { type: "variable", name: "ci", flags: plain, position: 5 },
      { type: "text", text: ":" },
      { type: "variable", name: "cp", flags: { ...Q, hex: true }, position: 9 },
      { type: "separator" },
      { type: "separator" },
      { type: "text", text: "[" },
      { type: "variable", name: "b", flags: Q, position: 28 },
      { type: "text", text: "]" },
    ]);
  });

  test("names are the longest alphanumeric run (%tsc is not %ts + c)", () => {
    expect(parseLogFormat("%tsc%ts")).toMatchObject([{ name: "tsc" }, { name: "ts" }]);
  });

  test("unknown flags are ignored, like HAProxy; -M turns the dash off", () => {
    expect(parseLogFormat("%{+Z,bogus,-M}b")).toMatchObject([
      { name: "b", flags: { quote: false, mandatory: false } },
    ]);
  });
});

describe("errors", () => {
  test("an unknown variable is a typed error naming it", () => {
    const e = errorOf("%ci %foo %b");
    expect(e.code).toBe("unknown-variable");
    expect(e.variable).toBe("foo");
    expect(e.position).toBe(4);
    expect(e.message).toContain("'%foo'");
    expect(errorOf("%{+Q}bogus").variable).toBe("bogus");
  });

  test("syntax errors", () => {
    for (const f of ["abc %", "%{+Q", "%{+Q}", "% b", "%1", "%/", "%{+Q} b"]) {
      expect(errorOf(f).code).toBe("syntax");
    }
  });

  test("sample expressions need a compiler for them (the rules layer's, given by the caller); an unterminated one is a syntax error", () => {
    expect(errorOf("%[src]").code).toBe("unsupported");
    expect(errorOf("%{+Q}[capture.req.hdr(0)]").code).toBe("unsupported");
    expect(errorOf("%ci %[src").code).toBe("syntax");
  });

  test("sample expressions: each printed by its compiled getter; missing prints '-' (or \"\" quoted); ']' inside parentheses or quotes does not end one", () => {
    const asked: string[] = [];
    const values: Record<string, string | undefined> = { "var(txn.base)": "example.com/a", src: "10.0.0.1", "req.hdr(x),regsub(\\],x)": "y", "var(txn.none)": undefined };
    const f = compileLogFormat("%ci %[var(txn.base)] %{+Q}[src] %[var(txn.none)] %{+Q}[var(txn.none)] %[req.hdr(x),regsub(\\],x)] end", {
      sample: (expr) => {
        asked.push(expr);
        return () => values[expr];
      },
    });
    expect(asked).toEqual(["var(txn.base)", "src", "var(txn.none)", "var(txn.none)", "req.hdr(x),regsub(\\],x)"]);
    const r = createHttpLogRecord();
    r.clientAddress = "127.0.0.1";
    expect(f(r)).toBe('127.0.0.1 example.com/a "10.0.0.1" - "" y end');
  });
});

describe("formatting", () => {
  test("%hr / %hs of a line without a request (a probe, a bad request) print nothing, and their separators merge (HAProxy 2.6, measured: 400 [\"<BADREQ>\"])", () => {
    const f = compileLogFormat("captured %hr %hs end", { captures: { request: true, response: true } });
    const r = createHttpLogRecord();
    expect(f(r)).toBe("captured end");
    expect(compileLogFormat("%hr %hs x", { captures: { request: true, response: true } })(r)).toBe("x");
    expect(compileLogFormat("[%hr]", { captures: { request: true, response: false } })(r)).toBe("[]");
    r.requestCaptures = ["a", ""];
    r.responseCaptures = ["b"];
    expect(f(r)).toBe("captured {a|} {b} end");
  });

  test("separators: runs merge, none at the start, none around fields that print nothing", () => {
    expect(fmt("  %b   %s  ")).toBe("static srv1 ");
    expect(fmt("%b %hr %hs %hrl %hsl %s")).toBe("static srv1");
    expect(fmt("%hr %b")).toBe("static");
    expect(fmt("x\\ y")).toBe("x\\ y"); // backslash is only the config file's business
  });

  test('quoting applies to strings only; empty strings print - or ""', () => {
    expect(fmt("%{+Q}b %{+Q}ci %{+Q}cp %{+Q}ST %{+Q}tsc %{+Q}Tt")).toBe(
      '"static" "10.0.1.2" 33317 200 ---- 164',
    );
    expect(fmt("%ID|%{+Q}ID|%{-M}ID|%CC|%{+Q}CS")).toBe('-|""||-|""');
    expect(fmt("%{+Q}o %b %{-Q}s %r")).toBe('"static" srv1 "GET /index.html HTTP/1.1"');
  });

  test("the request and its parts", () => {
    const r = docRecord();
    r.requestLine = 'POST http://h.example/p/q?x=1&y="2" HTTP/1.0';
    r.method = "POST";
    r.uri = 'http://h.example/p/q?x=1&y="2"';
    r.path = "http://h.example/p/q";
    r.httpVersion = "HTTP/1.0";
    expect(fmt("%HM|%HU|%HP|%HPO|%HQ|%HV", r)).toBe(
      "POST|http://h.example/p/q?x=1&y=#222#22|http://h.example/p/q|/p/q|?x=1&y=#222#22|HTTP/1.0",
    );
    expect(fmt("%{+Q}r", r)).toBe('"POST http://h.example/p/q?x=1&y=#222#22 HTTP/1.0"');
    expect(fmt("%{+E}HU", { ...r, uri: "/a\\b]c" })).toBe("/a\\\\b\\]c");
    expect(fmt("[%HQ]")).toBe("[]");
    const none = createHttpLogRecord();
    expect(fmt("%r %HM %HU %HP %HQ %HV %{+Q}r", none)).toBe(
      '<BADREQ> <BADREQ> <BADREQ> <BADREQ> <BADREQ> <BADREQ> "<BADREQ>"',
    );
  });

  test("dates", () => {
    const r = docRecord();
    expect(fmt("%t|%tr|%T|%trg|%Ts|%ms", r)).toBe(
      "06/Feb/2009:12:14:14.600|06/Feb/2009:12:14:14.655|06/Feb/2009:12:14:14 +0000|06/Feb/2009:12:14:14 +0000|1233922454|600",
    );
    expect(fmt("%Tl")).toMatch(/^06\/Feb\/2009:\d\d:\d\d:14 [+-]\d{4}$/);
    expect(fmt("%trl")).toMatch(/^06\/Feb\/2009:\d\d:\d\d:14 [+-]\d{4}$/);
    r.requestTime = 0; // request never started: %tr falls back to the accept date
    expect(fmt("%tr", r)).toBe("06/Feb/2009:12:14:14.600");
  });

  test("timers, derived timers included", () => {
    expect(fmt("%Th/%Ti/%TR/%Tw/%Tc/%Tr/%Ta/%Tt %Tq %Td %Tu")).toBe(
      "0/55/10/0/30/69/109/164 65 0 109",
    );
    const r = createHttpLogRecord();
    r.Tt = 30;
    expect(fmt("%Tq %Td %Tu", r)).toBe("-1 -1 30");
    // Each timer rounded on its own may sum to a millisecond more than Tt: Td is 0 then, not -1 ("never").
    Object.assign(r, { Ti: 1, TR: 0, Tw: 0, Tc: 1, Tr: 1, Tt: 2 });
    expect(fmt("%Td", r)).toBe("0");
  });

  test("addresses, ports, names, counters, state", () => {
    expect(fmt("%ci:%cp %fi:%fp %bi:%bp %si:%sp %f %ft %b %s %H %pid %rt %ID %sslv %sslc")).toBe(
      "10.0.1.2:33317 10.0.3.31:80 127.0.0.1:40000 127.0.0.1:8000 http-in http-in static srv1 lb1 4242 42 - - -",
    );
    expect(fmt("%si:%sp %bi:%bp %{+Q}sp", createHttpLogRecord())).toBe('-:- -:- ""');
    expect(fmt("%ac/%fc/%bc/%sc/%rc %sq/%bq %ST %B %U %ts %tsc")).toBe(
      "1/1/1/1/0 0/0 200 2750 120 -- ----",
    );
  });

  test("+X: hexadecimal where HAProxy has it", () => {
    const r = docRecord();
    expect(fmt("%{+X}ci:%{+X}cp %{+X}Ts %{+X}rt %{+X}pid %{+X}ms %{+X}ST", r)).toBe(
      "0A000102:8225 498C2996 002A 1092 258 200",
    );
    r.clientAddress = "::ffff:10.0.1.2";
    expect(fmt("%{+X}ci", r)).toBe("00000000000000000000FFFF0A000102");
    r.clientAddress = "2001:db8::1";
    expect(fmt("%{+X}ci", r)).toBe("20010DB8000000000000000000000001");
  });

  test("%lc counts the lines already logged for the frontend by this format", () => {
    const f = compileLogFormat("%f %lc");
    const a = docRecord();
    const b = docRecord();
    b.frontend = "other";
    expect([f(a), f(a), f(b), f(a)]).toEqual(["http-in 0", "http-in 1", "other 0", "http-in 2"]);
  });

  test("a format without variables is its text; the formatter keeps no record", () => {
    expect(fmt("hello  world")).toBe("hello world");
    const f = compileLogFormat("%b");
    const r = docRecord();
    expect(f(r)).toBe("static");
    r.backend = "changed";
    expect(f(r)).toBe("changed");
  });
});

describe("agreement with src/config", () => {
  test("every variable the config accepts compiles and renders something", () => {
    const names = LOG_FORMAT_VARIABLE_NAMES.filter((name) => checkLogFormat(`%${name}`) === undefined);
    expect(names).toEqual([...LOG_FORMAT_VARIABLE_NAMES]);
    for (const name of names) {
      expect(LOG_FORMAT_VARIABLE_NAMES).toContain(name);
      expect(() => compileLogFormat(`%${name}`)).not.toThrow();
      expect(() => compileLogFormat(`%{+Q}${name}`)(docRecord())).not.toThrow();
    }
  });

  test("the config accepts exactly what compiles", () => {
    const compiles = (f: string): boolean => {
      try {
        compileLogFormat(f, { sample: () => () => "x" });
        return true;
      } catch {
        return false;
      }
    };
    for (
      const f of ["%{+Q,+E}HU", "%{+Q}o%b", "%{Q}r", "%b2", "%bogus", "100%", "%{+Q", "%{+Q}", "%[src]", "%[src", "%{+Q}[src,lower]"]
    ) {
      expect([f, checkLogFormat(f) === undefined]).toEqual([f, compiles(f)]);
    }
  });

  test("every variable the compiler knows compiles, plain and with every flag", () => {
    for (const name of LOG_FORMAT_VARIABLE_NAMES) {
      for (const flags of ["", "{+Q}", "{+X}", "{+E}", "{+Q,+E,+X,-M}"]) {
        const f = compileLogFormat(`%${flags}${name}`);
        expect(typeof f(docRecord())).toBe("string");
        expect(typeof f(createHttpLogRecord())).toBe("string");
      }
    }
  });
});
