// tcp-request rules and mode tcp's use_backend (issue 15), over the in-memory
// runtime: a connection rejected at accept, the inspection of the first bytes
// (a TLS ClientHello's SNI picks the backend, without terminating TLS), the
// inspect-delay that ends the wait, and a content reject.
import { afterEach, expect, test } from "bun:test";
import { type Engine, engine, send } from "./harness.ts";

/** A minimal TLS 1.2 ClientHello record with one server_name. */
function clientHello(name: string): Uint8Array {
  const host = new TextEncoder().encode(name);
  const sni = [0x00, 0x00, ...u16(host.length + 5), ...u16(host.length + 3), 0x00, ...u16(host.length), ...host];
  const body = [0x03, 0x03, ...new Array(32).fill(7), 0x00, ...u16(2), 0x13, 0x01, 0x01, 0x00, ...u16(sni.length), ...sni];
  const handshake = [0x01, 0x00, ...u16(body.length), ...body];
  return new Uint8Array([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

const BASE = `defaults
    mode tcp
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`;

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

test("SNI routing in mode tcp: the ClientHello's server name picks the backend, and the hello is forwarded as it came", async () => {
  e = await engine(`${BASE}
frontend tls_in
    bind 127.0.0.1:9443
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.ssl_sni -m found }
    use_backend a if { req.ssl_sni -i a.example.test }
    use_backend b if { req.ssl_sni -m end .b.example.test }
    default_backend other
backend a
    server a1 127.0.0.1:9101
backend b
    server b1 127.0.0.1:9102
backend other
    server o1 127.0.0.1:9103
`);
  const hello = clientHello("www.b.example.test");
  const client = e.client();
  // The hello in two pieces: the first is not enough to decide.
  client.events.data(hello.subarray(0, 20));
  await e.clock.settle();
  expect(e.runtime.servers.length).toBe(0);
  client.events.data(hello.subarray(20));
  await e.clock.settle();
  const server = e.server(0);
  expect(server.remotePort).toBe(9102);
  expect(Buffer.concat(server.kept)).toEqual(Buffer.from(hello));

  const c2 = e.client();
  c2.events.data(clientHello("A.example.test"));
  await e.clock.settle();
  expect(e.server(1).remotePort).toBe(9101);
});

test("a hello cut short waits until inspect-delay, then goes to the default backend with what it sent; bytes that are no TLS go there at once (as HAProxy 2.6)", async () => {
  e = await engine(`${BASE}
frontend tls_in
    bind 127.0.0.1:9443
    tcp-request inspect-delay 2s
    tcp-request content accept if { req.ssl_sni -m found }
    use_backend a if { req.ssl_sni -i a.example.test }
    default_backend other
backend a
    server a1 127.0.0.1:9101
backend other
    server o1 127.0.0.1:9103
`);
  // More bytes could complete this hello: the condition cannot tell yet (HAProxy's MISS), so the rules wait.
  const client = e.client();
  const part = clientHello("a.example.test").subarray(0, 30);
  client.events.data(part);
  await e.clock.advance(1999);
  expect(e.runtime.servers.length).toBe(0);
  await e.clock.advance(1);
  expect(e.server(0).remotePort).toBe(9103);
  expect(Buffer.concat(e.server(0).kept)).toEqual(Buffer.from(part));
  // An SSH greeting can never become a ClientHello: no rule matches, and HAProxy accepts at once.
  const ssh = e.client();
  await send(e.clock, ssh, "SSH-2.0-client\r\n");
  expect(e.server(1).remotePort).toBe(9103);
  expect(e.server(1).text()).toBe("SSH-2.0-client\r\n");
});

test("tcp-request connection reject by source closes at accept, before any byte", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9000
    acl local src 127.0.0.0/8
    tcp-request connection reject if local
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await e.clock.settle();
  expect(client.closed).toBe(true);
  expect(e.runtime.servers.length).toBe(0);
  expect(e.proxy.frontends[0]!.deniedConnections).toBe(1);
});

test("tcp-request content reject closes without forwarding; accept forwards what was held", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    tcp-request inspect-delay 1s
    tcp-request content reject if { req.len gt 5 }
    tcp-request content accept if { req.len gt 2 }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const bad = e.client();
  await send(e.clock, bad, "0123456789");
  expect(bad.closed).toBe(true);
  expect(e.runtime.servers.length).toBe(0);
  // "abc" could still grow past 5 bytes: the reject rule cannot tell yet, so (as HAProxy 2.6 does) the
  // accept after it waits for inspect-delay, and then accepts.
  const good = e.client();
  await send(e.clock, good, "abc");
  await e.clock.advance(999);
  expect(e.runtime.servers.length).toBe(0);
  await e.clock.advance(1);
  expect(e.server(0).text()).toBe("abc");
  // HAProxy 2.6 counts a content reject among denied requests (dreq), not denied connections (dcon).
  expect(e.proxy.frontends[0]!.counters.deniedRequests).toBe(1);
  expect(e.proxy.frontends[0]!.deniedConnections).toBe(0);
});

test("a client that ends its side during inspection: what it sent is forwarded, then its FIN", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.len gt 100 }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "hello");
  expect(e.runtime.servers.length).toBe(0);
  client.events.end();
  await e.clock.settle();
  const server = e.server(0);
  expect(server.text()).toBe("hello");
  // The server learns the client is done (HAProxy forwards the shutdown).
  expect(server.ended).toBe(true);
});

test("a client that ends its side while it waits past maxconn: served later, its FIN forwarded after its bytes", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    maxconn 1
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const first = e.client();
  await send(e.clock, first, "one");
  const second = e.client();
  await send(e.clock, second, "two");
  second.events.end();
  await e.clock.settle();
  expect(e.runtime.servers.length).toBe(1);
  first.events.close();
  await e.clock.settle();
  const server = e.server(1);
  expect(server.text()).toBe("two");
  expect(server.ended).toBe(true);
});

test("a graceful stop while a connection is inspected: it is served once, told to close, and the stop ends when it has gone", async () => {
  e = await engine(`defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9001
    tcp-request inspect-delay 2s
    tcp-request content accept if { req.len gt 1000 }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  let stopped = false;
  const stopping = e.proxy.stop(60000).then(() => (stopped = true));
  await e.clock.advance(2000);
  await send(e.clock, e.server(0), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  expect(client.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  expect(stopped).toBe(false);
  client.events.close();
  await e.clock.settle();
  expect(stopped).toBe(true);
  await stopping;
});

test("a backend's tcp-request content rules: a reject closes before any server, an accept forwards what was held (after the frontend's use_backend)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    tcp-request inspect-delay 1s
    tcp-request content accept if { req.len gt 0 }
    use_backend guarded if { req.len gt 2 }
    default_backend open
backend guarded
    tcp-request inspect-delay 5s
    tcp-request content reject if { req.len gt 5 }
    tcp-request content accept if { req.len ge 4 }
    server g1 127.0.0.1:9100
backend open
    server o1 127.0.0.1:9101
`);
  const bad = e.client();
  await send(e.clock, bad, "0123456789");
  expect(bad.closed).toBe(true);
  expect(e.runtime.servers.length).toBe(0);
  // HAProxy counts a content reject as a denied request of the frontend, whichever section's rule it was.
  expect(e.proxy.frontends[0]!.counters.deniedRequests).toBe(1);

  // Three bytes: the frontend picks `guarded`, whose reject rule cannot tell yet (more bytes may come):
  // its rules wait, for its own inspect-delay, then accept with what came.
  const slow = e.client();
  await send(e.clock, slow, "abc");
  await send(e.clock, slow, "d");
  await e.clock.advance(4999);
  expect(e.runtime.servers.length).toBe(0);
  await e.clock.advance(1);
  expect(e.server(0).remotePort).toBe(9100);
  expect(e.server(0).text()).toBe("abcd");

  const other = e.client();
  await send(e.clock, other, "hi");
  expect(e.server(1).remotePort).toBe(9101);
  expect(e.proxy.frontends[0]!.counters.deniedRequests).toBe(1);
});

test("a backend's content rules see the frontend's variables; a listen's rules run once, not again as its backend's", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    tcp-request inspect-delay 1s
    tcp-request content set-var(txn.from_fe) str(yes) if { req.len gt 0 }
    tcp-request content accept if { req.len gt 0 }
    default_backend be
backend be
    tcp-request content reject unless { var(txn.from_fe) -m str yes }
    server s1 127.0.0.1:9100
`);
  const marked = e.client();
  await send(e.clock, marked, "hello");
  expect(e.server(0).text()).toBe("hello");
  // No bytes within the frontend's inspect-delay: it sets nothing, and the backend rejects.
  const unmarked = e.client();
  await e.clock.advance(1000);
  expect(unmarked.closed).toBe(true);
  expect(e.runtime.servers.length).toBe(1);

  await e.stop();
  // Were the listen's rules run again as its backend's, the second run would see txn.seen and reject.
  e = await engine(`${BASE}
listen once
    bind 127.0.0.1:9002
    tcp-request content reject if { var(txn.seen) -m found }
    tcp-request content set-var(txn.seen) int(1)
    server s2 127.0.0.1:9102
`);
  const viaListen = e.client();
  await send(e.clock, viaListen, "ping");
  expect(viaListen.closed).toBe(false);
  expect(e.server(0).remotePort).toBe(9102);
  expect(e.server(0).text()).toBe("ping");
});

test("a client that leaves while a backend's content rules wait: no server connection, the session ends", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9001
    default_backend be
backend be
    tcp-request inspect-delay 5s
    tcp-request content accept if { req.len gt 100 }
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "partial");
  expect(e.proxy.frontends[0]!.current).toBe(1);
  client.events.close();
  await e.clock.settle();
  expect(e.runtime.servers.length).toBe(0);
  expect(e.proxy.frontends[0]!.current).toBe(0);
  expect(e.proxy.frontends[0]!.counters.deniedRequests).toBe(0);
});

test("mode http: a backend's content reject closes the client connection without an answer; its accept goes on to its http-request rules", async () => {
  e = await engine(`defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9001
    use_backend internal if { path_beg /internal }
    default_backend public
backend internal
    tcp-request content reject if ! { src 10.0.0.0/8 }
    server i1 127.0.0.1:9100
backend public
    tcp-request content accept if { src 127.0.0.0/8 }
    tcp-request content reject
    http-request set-header X-Checked yes
    server p1 127.0.0.1:9101
`);
  const refused = e.client();
  await send(e.clock, refused, "GET /internal/x HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(refused.closed).toBe(true);
  expect(refused.text()).toBe("");
  expect(e.runtime.servers.length).toBe(0);
  expect(e.proxy.frontends[0]!.counters.deniedRequests).toBe(1);

  const served = e.client();
  await send(e.clock, served, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.server(0).remotePort).toBe(9101);
  expect(e.server(0).text()).toContain("\r\nX-Checked: yes\r\n");
});
