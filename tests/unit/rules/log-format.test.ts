import { describe, expect, test } from "bun:test";
import { compileFormatString } from "../../../src/rules/log-format.ts";
import { Stage, type StageBit, type Txn } from "../../../src/rules/types.ts";
import { env, request, txn } from "./txn.ts";

function format(text: string, stage: StageBit = Stage.httpRequest, absent?: string): (t: Txn) => string {
  const f = compileFormatString(text, stage, env(), absent === undefined ? {} : { absent });
  if (typeof f === "string") throw new Error(f);
  return f;
}

const t = txn({
  request: request("GET", "/p/q?x=1", [["Host", "WWW.Example.com"], ["X-Id", "7"]]),
  address: "10.0.0.5",
  port: 40000,
  backend: "be_app",
});

describe("format strings", () => {
  test.each([
    ["plain text", "plain text"],
    ["", ""],
    ["100%%", "100%"],
    ["%[src]", "10.0.0.5"],
    ["%[path]", "/p/q"],
    ["be_%[req.hdr(host),lower]", "be_www.example.com"],
    ["%[src]:%[src_port]", "10.0.0.5:40000"],
    ["id=%[hdr(x-id)] q=%[query]!", "id=7 q=x=1!"],
    ["%ci:%cp %fi:%fp %f/%b", "10.0.0.5:40000 198.51.100.1:443 fe_main/be_app"],
    ["%[str(a]b)]", "a]b"],
    ["%[path,regsub('/','_',g)]", "_p_q"],
    ["%[ssl_fc]", "0"],
    ["[%[hdr(missing)]]", "[]"],
  ])("%s", (text, expected) => {
    expect(format(text)(t)).toBe(expected);
  });

  test("a format without % is one constant string", () => {
    const f = format("static value");
    expect(f(t)).toBe("static value");
    expect(f(txn())).toBe("static value");
  });

  test("a missing sample is empty in values and '-' in logs", () => {
    expect(format("<%[hdr(missing)]>")(t)).toBe("<>");
    expect(format("<%[hdr(missing)]>", Stage.httpRequest, "-")(t)).toBe("<->");
    expect(format("%b", Stage.httpRequest, "-")(txn())).toBe("-");
  });

  test.each([
    ["%[pth]", "unknown fetch 'pth' (did you mean 'path'?)"],
    ["%[path", "missing ']' after '%[path'"],
    ["%[path x", "unexpected ' ' after 'path' in 'path x' (converters follow a comma)"],
    ["%[path,lower x]", "unexpected ' ' after 'lower' in 'path,lower x' (converters follow a comma)"],
    ["%[]", "empty sample expression"],
    ["%[res.hdr(x)]", "'res.hdr' is not available in http-request rules"],
    ["%Tq", "unknown log-format variable '%Tq' (sluice's formats know %[expr], %ci, %cp, %fi, %fp, %f, %b, %Ts, %ms, %pid, %ID and %%)"],
    ["100%", "a '%' at offset 3 of '100%' must be followed by '[', '%' or a variable (write '%%' for a percent sign)"],
    ["%{+Q}[src]", "log-format flags ('%{+Q}') are not supported in sluice's formats"],
  ])("%s → %s", (text, message) => {
    expect(compileFormatString(text, Stage.httpRequest, env())).toBe(message);
  });
});

test("%Ts and %ms (the request's date, from the runtime's clock), %pid, %ID (unique-id-format's id)", () => {
  const x = txn({ request: request("GET", "/") });
  x.uniqueId = "AB12";
  expect(format("t=%Ts%ms pid=%pid id=%ID")(x)).toBe(`t=1700000000000 pid=${process.pid} id=AB12`);
  expect(format("id=%ID")(txn({ request: request("GET", "/") }))).toBe("id=");
});
