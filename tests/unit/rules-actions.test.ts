// The entry point of http actions (src/rules/actions/index.ts): which action
// each rule set accepts, the errors for unknown and misplaced actions,
// conditions folded in, words left after the arguments, run-time failures.
import { describe, expect, test } from "bun:test";
import { compileHttpAction, SUPPORTED_ACTIONS } from "../../src/rules/actions/index.ts";
import { Verdict } from "../../src/rules/types.ts";
import { action, compileError, context, fieldLines, request, txn } from "./rules-actions-support.ts";

describe("actions allowed per rule set (HAProxy 2.6's lists, as implemented)", () => {
  test("http-request", () => {
    expect(SUPPORTED_ACTIONS["http-request"]).toEqual([
      "add-acl", "add-header", "allow", "auth", "cache-use", "capture", "del-acl", "del-header", "del-map", "deny", "disable-l7-retry", "early-hint", "normalize-uri", "redirect", "reject", "replace-header",
      "replace-path", "replace-pathq", "replace-uri", "replace-value", "return", "sc-inc-gpc0", "sc-inc-gpc1",
      "set-dst", "set-dst-port", "set-header", "set-log-level", "set-map", "set-method", "set-path", "set-pathq", "set-query", "set-src", "set-timeout", "set-uri",
      "set-var", "set-var-fmt", "tarpit", "track-sc0", "track-sc1", "track-sc2", "unset-var", "use-service", "wait-for-body",
    ]);
  });

  test("http-response", () => {
    expect(SUPPORTED_ACTIONS["http-response"]).toEqual([
      "add-acl", "add-header", "allow", "cache-store", "capture", "del-acl", "del-header", "del-map", "deny", "redirect", "replace-header", "replace-value", "return",
      "sc-inc-gpc0", "sc-inc-gpc1", "set-header", "set-log-level", "set-map", "set-status", "set-var", "set-var-fmt",
      "track-sc0", "track-sc1", "track-sc2", "unset-var", "wait-for-body",
    ]);
  });

  test("http-after-response", () => {
    expect(SUPPORTED_ACTIONS["http-after-response"]).toEqual([
      "add-header", "allow", "capture", "del-header", "replace-header", "replace-value", "set-header", "set-status",
      "set-var", "set-var-fmt", "unset-var",
    ]);
  });

  test("every action of a set compiles in it and is refused, naming it, in the sets without it", () => {
    const samples: Record<string, string> = {
      "add-header": "add-header X v",
      allow: "allow",
      auth: "auth",
      capture: "capture req.hdr(host) id 0",
      "del-header": "del-header X",
      deny: "deny",
      "normalize-uri": "normalize-uri path-merge-slashes",
      redirect: "redirect location /x",
      "replace-header": "replace-header X a b",
      "replace-path": "replace-path a b",
      "replace-pathq": "replace-pathq a b",
      "replace-uri": "replace-uri a b",
      "replace-value": "replace-value X a b",
      return: "return",
      "sc-inc-gpc0": "sc-inc-gpc0(0)",
      "sc-inc-gpc1": "sc-inc-gpc1(1)",
      "set-header": "set-header X v",
      "set-log-level": "set-log-level silent",
      "set-method": "set-method POST",
      "set-path": "set-path /p",
      "set-pathq": "set-pathq /p",
      "set-query": "set-query q",
      "set-src": "set-src req.hdr(x-real-ip)",
      "set-dst": "set-dst req.hdr(x-dst)",
      "set-dst-port": "set-dst-port int(8080)",
      "set-status": "set-status 404",
      "set-uri": "set-uri /u",
      "set-var": "set-var(txn.x) src",
      "set-var-fmt": "set-var-fmt(txn.x) %[src]",
      tarpit: "tarpit",
      "track-sc0": "track-sc0 src",
      "track-sc1": "track-sc1 src",
      "track-sc2": "track-sc2 src",
      "unset-var": "unset-var(txn.x)",
      "use-service": "use-service prometheus-exporter",
    };
    for (const set of ["http-request", "http-response", "http-after-response"] as const) {
      const ctx = context({ captureSlots: [16] });
      for (const [name, line] of Object.entries(samples)) {
        const error = compileError(set, line, ctx);
        if (SUPPORTED_ACTIONS[set].includes(name)) expect([name, error]).toEqual([name, undefined]);
        else {
          expect(error).toBe(`action '${name}' is not available in ${set} (supported: ${SUPPORTED_ACTIONS[set].join(", ")})`);
        }
      }
    }
  });
});

describe("errors", () => {
  test("an unknown action is named with the supported list", () => {
    expect(compileError("http-response", "silent-drop")).toBe(
      `unknown http-response action 'silent-drop' (supported: ${SUPPORTED_ACTIONS["http-response"].join(", ")})`,
    );
    expect(compileHttpAction("http-request", [], context())).toBe(
      `http-request expects an action (supported: ${SUPPORTED_ACTIONS["http-request"].join(", ")})`,
    );
  });

  test("parenthesised arguments where they belong only", () => {
    expect(compileError("http-request", "set-var src")).toBe("'set-var' expects its argument in parentheses: set-var(...)");
    expect(compileError("http-request", "deny(1)")).toBe("'deny' takes no argument in parentheses");
  });

  test("words after the arguments must start the condition", () => {
    expect(compileError("http-request", "set-header X v extra")).toBe(
      "'set-header': unexpected 'extra' after its arguments (expected 'if' or 'unless' and a condition)",
    );
    expect(compileError("http-request", "allow now")).toBe(
      "'allow': unexpected 'now' after its arguments (expected 'if' or 'unless' and a condition)",
    );
  });

  test("a condition's error is the action's", () => {
    expect(compileError("http-request", "deny if nope")).toBe("'deny': unknown ACL 'nope'");
  });
});

describe("conditions", () => {
  test("if / unless decide whether the action runs", () => {
    const ctx = context();
    const t = txn();
    expect(action("http-request", "set-header X-A 1 if yes", ctx)(t)).toBe(Verdict.continue);
    expect(action("http-request", "set-header X-B 1 if no", ctx)(t)).toBe(Verdict.continue);
    expect(action("http-request", "set-header X-C 1 unless no", ctx)(t)).toBe(Verdict.continue);
    expect(action("http-request", "set-header X-D 1 unless yes", ctx)(t)).toBe(Verdict.continue);
    expect(fieldLines(t.request)).toEqual(["Host: example.com", "X-A: 1", "X-C: 1"]);
  });

  test("a rule whose condition fails leaves the transaction as it was and evaluates nothing", () => {
    let evaluated = 0;
    const ctx = context();
    ctx.acls.counted = () => {
      evaluated++;
      return false;
    };
    const run = action("http-request", ["set-header", "X", "%[src]", "if", "counted"], ctx);
    const t = txn();
    const before = t.request;
    expect(run(t)).toBe(Verdict.continue);
    expect(evaluated).toBe(1);
    expect(t.request).toBe(before);
    expect(t.reply).toBeUndefined();
  });

  test("verdicts: allow stops, deny replies, tarpit tarpits, others continue", () => {
    expect(action("http-request", "allow if yes")(txn())).toBe(Verdict.stop);
    expect(action("http-request", "deny if yes")(txn())).toBe(Verdict.reply);
    expect(action("http-request", "tarpit if yes")(txn())).toBe(Verdict.tarpit);
    expect(action("http-request", "allow if no")(txn())).toBe(Verdict.continue);
  });
});

describe("run-time failures never throw", () => {
  test("a throwing expression or condition leaves the transaction unchanged", () => {
    const ctx = context();
    ctx.acls.boom = () => {
      throw new Error("condition failed");
    };
    const t = txn(request("/", ["Host: h"]));
    const before = t.request;
    expect(action("http-request", "set-header X %[throws]", ctx)(t)).toBe(Verdict.continue);
    expect(action("http-request", "deny if boom", ctx)(t)).toBe(Verdict.continue);
    expect(t.request).toBe(before);
    expect(t.reply).toBeUndefined();
  });

  test("a value that cannot be written leaves the head as it was", () => {
    const t = txn(request("/", ["Host: h", "X-In: a"]));
    const before = t.request;
    // U+0100 cannot be written in a latin1 header.
    t.vars.set("txn", "v", "bad\u0100value");
    expect(action("http-request", "set-header X %[var(txn.v)]")(t)).toBe(Verdict.continue);
    expect(t.request).toBe(before);
  });

  test("a rule on a missing head does nothing", () => {
    const t = txn();
    t.request = undefined;
    expect(action("http-request", "set-header X 1")(t)).toBe(Verdict.continue);
    expect(action("http-response", "set-header X 1")(t)).toBe(Verdict.continue);
    expect(t.request).toBeUndefined();
  });
});
