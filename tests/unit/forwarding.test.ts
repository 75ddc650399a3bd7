import { expect, test } from "bun:test";
import { H1Parser } from "../../src/http1/parser.ts";
import type { Head } from "../../src/http1/types.ts";
import { type AddedFields, ForwardingPlan } from "../../src/session/forwarding.ts";

function request(text: string): Head {
  let head: Head | undefined;
  const p = new H1Parser("request", { head: (h) => (head = h), data() {}, trailers() {}, end() {}, error: (e) => { throw e; } });
  p.push(new TextEncoder().encode(text));
  return head!;
}

const facts = { clientAddress: "::ffff:10.1.2.3", frontendAddress: "127.0.0.1", frontendPort: 8080, https: false };
const added = (plan: ForwardingPlan, head: Head, f = facts) => {
  const out: AddedFields = [];
  plan.add(head, f, out);
  return out;
};

test("forwardfor adds the plain client address; if-none keeps a client's own header; except skips a network", () => {
  const req = request("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  expect(added(new ForwardingPlan({ forwardFor: { header: "X-Forwarded-For", ifNone: false } }), req)).toEqual([["X-Forwarded-For", "10.1.2.3"]]);
  const own = request("GET / HTTP/1.1\r\nHost: a.test\r\nX-Real: 1.1.1.1\r\n\r\n");
  expect(added(new ForwardingPlan({ forwardFor: { header: "X-Real", ifNone: true } }), own)).toEqual([]);
  expect(added(new ForwardingPlan({ forwardFor: { header: "X-Forwarded-For", ifNone: false, except: "10.0.0.0/8" } }), req)).toEqual([]);
});

test("frontend and backend naming the same header add it once; forwarded comes from the backend", () => {
  const req = request("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  const ff = { header: "X-Forwarded-For", ifNone: false };
  const plan = new ForwardingPlan({ forwardFor: ff }, { forwardFor: ff, forwarded: { proto: true, host: true, by: true, for: true } });
  expect(added(plan, req)).toEqual([
    ["X-Forwarded-For", "10.1.2.3"],
    ["Forwarded", "by=127.0.0.1;for=10.1.2.3;host=a.test;proto=http"],
  ]);
  expect(added(plan, req, { ...facts, clientAddress: "::1" })[1]).toEqual(["Forwarded", 'by=127.0.0.1;for="[::1]";host=a.test;proto=http']);
  expect(new ForwardingPlan(undefined, {}).empty).toBe(true);
  // On a TLS bind the client's protocol is https.
  expect(added(plan, req, { ...facts, https: true })[1]).toEqual(["Forwarded", "by=127.0.0.1;for=10.1.2.3;host=a.test;proto=https"]);
});

test("a UNIX socket's client (address 'unix') gets no X-Forwarded-For, as HAProxy; Forwarded says for=unknown (RFC 7239 §6.3)", () => {
  const req = request("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n");
  const plan = new ForwardingPlan({ forwardFor: { header: "X-Forwarded-For", ifNone: false }, forwarded: { for: true, by: true, proto: false, host: false } });
  expect(added(plan, req, { ...facts, clientAddress: "unix", frontendAddress: "unix" })).toEqual([["Forwarded", "by=unknown;for=unknown"]]);
});
