// Captures in log lines (issue 15): %hr / %hs print `{v1|v2}` when the
// frontend declares capture slots, with HAProxy's encoding of the characters
// that would break the field, and nothing at all when it declares none.
import { expect, test } from "bun:test";
import { compileLogFormat } from "../../../src/log/format.ts";
import { capturesOf, createHttpLogRecord, formatHttpLog, HTTPLOG_FORMAT } from "../../../src/log/http-log.ts";

function record() {
  const r = createHttpLogRecord();
  r.clientAddress = "127.0.0.1";
  r.clientPort = 40000;
  r.frontend = "fe";
  r.backend = "be";
  r.server = "s1";
  r.acceptTime = r.requestTime = Date.UTC(2026, 11, 6, 9, 0, 0);
  r.status = 200;
  r.requestLine = "GET / HTTP/1.1";
  return r;
}

test("values in braces, separated by |, encoded where they would break the field", () => {
  expect(capturesOf(undefined)).toBe("");
  expect(capturesOf(["example.test", ""])).toBe("{example.test|} ");
  expect(capturesOf(['a|b{c}"d#e\tf\u00e9'])).toBe("{a#7Cb#7Bc#7D#22d#23e#09f#E9} ");
});

test("option httplog's line with and without captures; the compiled format says the same", () => {
  const r = record();
  const without = formatHttpLog(r);
  expect(without).toContain(' 0/0 "GET / HTTP/1.1"');
  r.requestCaptures = ["example.test", "curl/8"];
  r.responseCaptures = ["text/plain"];
  const line = formatHttpLog(r);
  expect(line).toContain(' 0/0 {example.test|curl/8} {text/plain} "GET / HTTP/1.1"');
  const compiled = compileLogFormat(HTTPLOG_FORMAT, { captures: { request: true, response: true }, hostname: "h" });
  expect(compiled(r)).toBe(line);
  const none = compileLogFormat(HTTPLOG_FORMAT, { hostname: "h" });
  r.requestCaptures = r.responseCaptures = undefined;
  expect(none(r)).toBe(without);
});

test("%hrl lists the request captures without braces", () => {
  const r = record();
  r.requestCaptures = ["a", "b c"];
  expect(compileLogFormat("%hrl", { captures: { request: true, response: false } })(r)).toBe("a b c");
});
