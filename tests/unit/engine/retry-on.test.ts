// retry-on and option redispatch <interval>, driven on the virtual clock:
// which failure sends a request again, to which server, how many times, and
// what the client sees (never the discarded answer; the last one when the
// retries run out). Servers are told apart by the port their connection went to.
import { afterEach, describe, expect, test } from "bun:test";
import { redispatchesAt } from "../../../src/stream/retry.ts";
import { type Engine, engine, errorPage, send } from "./harness.ts";

const GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const UNAVAILABLE = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";

/** Servers s1, s2, s3 on ports 9101-9103 (s2 and s3 backups with `backups`); `backend` lines go in the backend section. */
function config(...backend: string[]): string {
  return configWith("", ...backend);
}

function configWith(backupWord: string, ...backend: string[]): string {
  return `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 60s
    timeout server 10s
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
${backend.map((l) => `    ${l}\n`).join("")}    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102${backupWord}
    server s3 127.0.0.1:9103${backupWord}
`;
}

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

/** The ports of the server connections opened so far, in order. */
function ports(x: Engine): number[] {
  return x.runtime.servers.map((s) => s.remotePort);
}

describe("option redispatch <interval>: which retry goes to another server", () => {
  test.each([
    // interval, retries, the retries (1-based) that redispatch
    [-1, 3, [3]],
    [1, 3, [1, 2, 3]],
    [2, 5, [2, 4]],
    [-2, 3, [2]],
    [-3, 3, [1, 2, 3]],
    [3, 2, []],
  ])("interval %d with retries %d", (interval, retries, expected) => {
    const at = [];
    for (let k = 1; k <= retries; k++) if (redispatchesAt(interval, k, retries)) at.push(k);
    expect(at).toEqual(expected);
  });
});

describe("retry-on <status>", () => {
  test("a 503 is not relayed: the request goes to the next server (redispatch 1), whose answer the client gets", async () => {
    e = await engine(config("retry-on 503", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    await send(e.clock, e.server(0), UNAVAILABLE);
    expect(e.server(0).closed).toBe(true); // the discarded answer's connection goes
    expect(e.server(1).text()).toBe(GET);
    await send(e.clock, e.server(1), OK);
    expect(client.text()).toBe(OK);
    expect(ports(e)).toEqual([9101, 9102]);
  });

  test("retries exhausted: the last 503 is the client's; each retry on another server with redispatch 1", async () => {
    e = await engine(config("retries 2", "retry-on 503", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    for (let i = 0; i < 3; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    expect(client.text()).toBe(UNAVAILABLE);
    expect(ports(e)).toEqual([9101, 9102, 9103]);
  });

  test("without redispatch every retry stays on the server", async () => {
    e = await engine(config("retries 3", "retry-on 503"));
    const client = e.client();
    await send(e.clock, client, GET);
    for (let i = 0; i < 4; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    expect(ports(e)).toEqual([9101, 9101, 9101, 9101]);
    expect(client.text()).toBe(UNAVAILABLE);
  });

  test("option redispatch, a server picked by roundrobin among several: every retry goes elsewhere (HAProxy: nothing ties the request to it)", async () => {
    e = await engine(config("retries 3", "retry-on 503", "option redispatch"));
    const client = e.client();
    await send(e.clock, client, GET);
    for (let i = 0; i < 3; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    expect(ports(e).slice(0, 3)).toEqual([9101, 9102, 9103]);
  });

  test("the same with random and leastconn (HAProxy: any algorithm that hashes nothing); a hash algorithm follows the interval", async () => {
    for (const balance of ["random", "leastconn"]) {
      e = await engine(config(`balance ${balance}`, "retries 3", "retry-on 503", "option redispatch"));
      await send(e.clock, e.client(), GET);
      for (let i = 0; i < 3; i++) await send(e.clock, e.server(i), UNAVAILABLE);
      expect(new Set(ports(e).slice(0, 3)).size).toBe(3);
      await e.stop();
    }
    e = await engine(config("balance source", "retries 3", "retry-on 503", "option redispatch"));
    await send(e.clock, e.client(), GET);
    for (let i = 0; i < 4; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    const [first, ...rest] = ports(e);
    expect(rest.slice(0, 2)).toEqual([first!, first!]);
    expect(rest[2]).not.toBe(first);
  });

  test("the only active server (the others are backups): the interval decides, by default only the last retry moves", async () => {
    e = await engine(configWith(" backup", "retries 3", "retry-on 503", "option redispatch"));
    let client = e.client();
    await send(e.clock, client, GET);
    for (let i = 0; i < 4; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    expect(ports(e)).toEqual([9101, 9101, 9101, 9102]);
    await e.stop();

    e = await engine(configWith(" backup", "retries 4", "retry-on 503", "option redispatch 2"));
    client = e.client();
    await send(e.clock, client, GET);
    for (let i = 0; i < 5; i++) await send(e.clock, e.server(i), UNAVAILABLE);
    expect(ports(e)).toEqual([9101, 9101, 9102, 9102, 9103]);
  });

  test("a status not listed is relayed at once; the default (conn-failure) retries no status", async () => {
    e = await engine(config("retry-on 503", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    const error = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
    await send(e.clock, e.server(0), error);
    expect(client.text()).toBe(error);
    expect(e.runtime.servers.length).toBe(1);
  });

  test("a POST with a body is never sent again: its 503 is relayed", async () => {
    e = await engine(config("retry-on 503 empty-response", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
    expect(e.server(0).text()).toContain("abc");
    await send(e.clock, e.server(0), UNAVAILABLE);
    expect(client.text()).toBe(UNAVAILABLE);
    expect(e.runtime.servers.length).toBe(1);
  });

  test("a bodiless POST is not idempotent (RFC 9110 §9.2.2): not sent again either", async () => {
    e = await engine(config("retry-on 503", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, "POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    await send(e.clock, e.server(0), UNAVAILABLE);
    expect(client.text()).toBe(UNAVAILABLE);
    expect(e.runtime.servers.length).toBe(1);
  });
});

describe("retry-on empty-response, junk-response", () => {
  test("a server that closes without a byte: the request goes to another server", async () => {
    e = await engine(config("retry-on empty-response", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    e.server(0).events.end();
    await e.clock.settle();
    expect(e.server(1).text()).toBe(GET);
    await send(e.clock, e.server(1), OK);
    expect(client.text()).toBe(OK);
  });

  test("without it (the default) the client gets a 502", async () => {
    e = await engine(config("option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    e.server(0).events.end();
    await e.clock.settle();
    expect(client.text()).toBe(errorPage(502, true));
    expect(e.runtime.servers.length).toBe(1);
  });

  test("garbage instead of a response: retried on junk-response, and never relayed", async () => {
    e = await engine(config("retry-on junk-response", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    await send(e.clock, e.server(0), "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    expect(e.server(0).closed).toBe(true);
    await send(e.clock, e.server(1), OK);
    expect(client.text()).toBe(OK);
  });

  test("an interim response was relayed: what follows is not retried", async () => {
    e = await engine(config("retry-on empty-response", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    await send(e.clock, e.server(0), "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n");
    e.server(0).destroy(); // the connection is lost before the final head
    await e.clock.settle();
    expect(client.text()).toContain("103 Early Hints");
    expect(client.text()).toContain("502");
    expect(e.runtime.servers.length).toBe(1);
  });
});

describe("retry-on response-timeout", () => {
  test("timeout server before any byte: sent again to another server at that very millisecond", async () => {
    e = await engine(config("retry-on response-timeout", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    await e.clock.advance(9999);
    expect(e.runtime.servers.length).toBe(1);
    await e.clock.advance(1);
    expect(e.server(0).closed).toBe(true);
    expect(e.server(1).text()).toBe(GET);
    await send(e.clock, e.server(1), OK);
    expect(client.text()).toBe(OK);
  });

  test("each attempt gets its own timeout server; when the retries run out, the client gets the 504", async () => {
    e = await engine(config("retries 1", "retry-on response-timeout"));
    const client = e.client();
    await send(e.clock, client, GET);
    await e.clock.advance(10_000);
    expect(ports(e)).toEqual([9101, 9101]);
    await e.clock.advance(9999);
    expect(client.text()).toBe("");
    await e.clock.advance(1);
    expect(client.text()).toBe(errorPage(504, true));
  });

  test("a response that has begun is cut, not retried", async () => {
    e = await engine(config("retry-on response-timeout", "option redispatch 1"));
    const client = e.client();
    await send(e.clock, client, GET);
    await send(e.clock, e.server(0), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    await e.clock.advance(10_000);
    expect(client.closed).toBe(true);
    expect(e.runtime.servers.length).toBe(1);
  });
});

describe("retry-on conn-failure and none", () => {
  test("retry-on none: a refused connection is not tried again", async () => {
    e = await engine(config("retry-on none", "option redispatch 1"));
    e.runtime.connectOutcome = "refuse";
    const client = e.client();
    await send(e.clock, client, GET);
    await e.clock.settle();
    expect(e.runtime.connectAttempts).toBe(1);
    expect(client.text()).toBe(errorPage(503, true));
  });

  test("the default: retries 3 connect attempts again", async () => {
    e = await engine(config("option redispatch 1"));
    e.runtime.connectOutcome = "refuse";
    const client = e.client();
    await send(e.clock, client, GET);
    await e.clock.settle();
    expect(e.runtime.connectAttempts).toBe(4);
    expect(client.text()).toBe(errorPage(503, true));
  });
});
