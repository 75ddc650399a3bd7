// The TLS part of the adapter conformance suite (conformance.ts runs every
// socket check again over TLS sockets, then these): the facts of a handshake,
// failed handshakes, strict SNI, and a certificate reload on a live listener.
import { readFileSync } from "node:fs";
import {
  type ClientTlsOptions,
  ConnectError,
  type ServerTlsOptions,
  type Socket,
} from "../../src/runtime/types.ts";
import { TestPki } from "../support/certs.ts";
import { assert, type Check, enc, eq, HOST, Probe, probeOf, sleep, type TlsMode, within } from "./conformance.ts";

/** Checks that only mean something on TLS listeners; they run in the TLS pass only. */
export const tlsChecks: Check[] = [
  {
    name: "tls-facts",
    timeoutMs: 8000,
    async run(scope, info) {
      const tls = scope.tls!;
      const srv = await scope.server();
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe, 3000, { ...tls.client, servername: "b.test", alpn: ["h2"] });
      const server = await srv.next();
      const f = server.tls;
      assert(f !== undefined, "accepted socket has no tls facts");
      eq(f.sni, "b.test", "server sni");
      eq(f.alpn, "h2", "server alpn");
      assert(f.version === "TLSv1.3" || f.version === "TLSv1.2", `version ${f.version}`);
      assert(f.cipher.length > 0, "cipher named");
      assert(f.handshakeMs >= 0 && f.handshakeMs < 3000, `handshakeMs ${f.handshakeMs}`);
      eq(client.tls?.alpn, "h2", "client alpn");
      eq(client.tls?.version, f.version, "client version");
      info.version = f.version;
      info.cipher = f.cipher;
      // Verified against the CA under the name sent: b.test's certificate was served.
      // A name nobody serves gets the default (a.test): the check of "c.test" fails.
      let err: unknown;
      try {
        await scope.connect(srv.port, new Probe(), 3000, { ...tls.client, servername: "c.test" });
      } catch (e) {
        err = e;
      }
      assert(err instanceof ConnectError, `unverifiable certificate accepted: ${err}`);
      eq(err.code, "tls", "ConnectError.code for a bad certificate");
      // Without verification the same connection works.
      const loose = new Probe();
      // (On a listener of its own: the first may have completed the handshake the client refused.)
      const srv2 = await scope.server();
      const c2 = await scope.connect(srv2.port, loose, 3000, { ...tls.client, servername: "c.test", verify: false });
      c2.write(enc.encode("hi"));
      const s2 = await srv2.next();
      await within(probeOf(s2).bytesArrived(2), 3000, "bytes over an unverified connection");
      eq(s2.tls?.sni, "c.test", "sni of an unknown name");
    },
  },

  {
    name: "tls-handshake-failure",
    timeoutMs: 8000,
    async run(scope) {
      const tls = scope.tls!;
      const srv = await scope.server();
      const before = tls.failures.length;
      // Plain text on a TLS port: that connection closes, the listener goes on.
      const plain = new Probe();
      const raw = await scope.rt.connect({ hostname: HOST, port: srv.port, timeoutMs: 2000 }, plain);
      scope.sockets.push(raw);
      raw.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      // The server ends it (FIN, or a reset): half-open on our side at most.
      await within(Promise.race([plain.ended.promise, plain.closed.promise]), 3000, "end of the plain-text connection");
      await within(waitUntil(() => tls.failures.length > before), 3000, "handshake failure report");
      const failure = tls.failures[before]!;
      eq(failure.remoteAddress, HOST, "failure.remoteAddress");
      assert(failure.remotePort > 0, `failure.remotePort ${failure.remotePort}`);
      assert(failure.reason.length > 0, "failure.reason");
      // A client that stops mid-handshake: half a ClientHello, then FIN.
      const half = new Probe();
      const raw2 = await scope.rt.connect({ hostname: HOST, port: srv.port, timeoutMs: 2000 }, half);
      scope.sockets.push(raw2);
      raw2.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01]));
      raw2.end();
      await within(Promise.race([half.ended.promise, half.closed.promise]), 3000, "end of the half handshake");
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      client.write(enc.encode("ok"));
      const server = await srv.next();
      await within(probeOf(server).bytesArrived(2), 3000, "a good client after the bad ones");
    },
  },

  {
    name: "tls-strict-sni",
    timeoutMs: 8000,
    async run(scope) {
      const tls = scope.tls!;
      const strict: ServerTlsOptions = {
        ...tls.server,
        select: (name) => (name === "a.test" ? 0 : name === "b.test" ? 1 : -1),
      };
      const accepted: Socket[] = [];
      const l = await scope.rt.listen({ hostname: HOST, port: 0, tls: strict, onHandshakeFailure: (f) => tls.failures.push(f) }, (s) => {
        accepted.push(s);
        scope.sockets.push(s);
      });
      scope.listeners.push(l);
      const before = tls.failures.length;
      for (const servername of ["x.test", ""]) {
        let err: unknown;
        try {
          await scope.connect(l.port, new Probe(), 3000, { ...tls.client, servername, verify: false });
        } catch (e) {
          err = e;
        }
        assert(err instanceof ConnectError, `SNI '${servername}' was not refused: ${err}`);
      }
      await within(waitUntil(() => tls.failures.length >= before + 2), 3000, "two failures reported");
      eq(accepted.length, 0, "sockets accepted");
      await scope.connect(l.port, new Probe(), 3000, { ...tls.client, servername: "a.test" });
      await within(waitUntil(() => accepted.length === 1), 3000, "a known name accepted");
    },
  },

  {
    // One certificate and no settings: the listener Bun serves with its own TLS
    // (bun-tls.ts; node:tls elsewhere). Same facts, failures, a port in use
    // refused, and reloads: to another single certificate, then to several.
    name: "tls-one-certificate",
    timeoutMs: 10000,
    async run(scope) {
      const tls = scope.tls!;
      const pki = new TestPki();
      const only = pki.leaf("only", { names: ["a.test"] });
      const ca = readFileSync(pki.caFile, "utf8");
      const failures: string[] = [];
      const accepted: Socket[] = [];
      const one: ServerTlsOptions = {
        groups: [[{ cert: only.certPem, key: only.keyPem }]],
        select: () => 0,
        alpn: ["h2", "http/1.1"],
        minVersion: "TLSv1.2",
        tickets: true,
        ticketKeyRotateMs: 3_600_000,
        handshakeTimeoutMs: 1000,
      };
      const l = await scope.rt.listen({ hostname: HOST, port: 0, tls: one, onHandshakeFailure: (f) => failures.push(f.reason) }, (s) => {
        accepted.push(s);
        scope.sockets.push(s);
        s.events = { data: (c) => s.write(c), drain() {}, end: () => s.end(), close() {} };
      });
      scope.listeners.push(l);
      let busy: unknown;
      try {
        scope.listeners.push(await scope.rt.listen({ hostname: HOST, port: l.port, tls: one }, () => {}));
      } catch (e) {
        busy = e;
      }
      assert(busy !== undefined, "a second listener on the same port was allowed");
      const probe = new Probe();
      const client = await scope.connect(l.port, probe, 3000, { ...tls.client, servername: "a.test", ca, alpn: ["h2"] });
      await within(waitUntil(() => accepted.length === 1), 3000, "accepted");
      const f = accepted[0]!.tls;
      assert(f !== undefined, "accepted socket has no tls facts");
      eq(f.sni, "a.test", "server sni");
      eq(f.alpn, "h2", "server alpn");
      assert(f.version === "TLSv1.3" || f.version === "TLSv1.2", `version ${f.version}`);
      assert(f.cipher.length > 0, "cipher named");
      assert(f.handshakeMs >= 0 && f.handshakeMs < 3000, `handshakeMs ${f.handshakeMs}`);
      // Plain text on the port: a failure reported, the listener goes on.
      const plain = new Probe();
      const raw = await scope.rt.connect({ hostname: HOST, port: l.port, timeoutMs: 2000 }, plain);
      scope.sockets.push(raw);
      raw.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      await within(Promise.race([plain.ended.promise, plain.closed.promise]), 3000, "end of the plain-text connection");
      await within(waitUntil(() => failures.length > 0), 3000, "handshake failure report");
      assert(failures[0]!.length > 0, "failure reason");
      // Reloads: another single certificate (from another CA), then two groups; the first connection goes on.
      const pki2 = new TestPki();
      const a2 = pki2.leaf("a2", { names: ["a.test"] });
      const b2 = pki2.leaf("b2", { names: ["b.test"] });
      const ca2 = readFileSync(pki2.caFile, "utf8");
      l.reloadTls!({ ...one, groups: [[{ cert: a2.certPem, key: a2.keyPem }]] });
      client.write(enc.encode("one"));
      await within(probe.bytesArrived(3), 3000, "echo after the first reload, same connection");
      await scope.connect(l.port, new Probe(), 3000, { ...tls.client, servername: "a.test", ca: ca2 });
      l.reloadTls!({ ...one, groups: [[{ cert: a2.certPem, key: a2.keyPem }], [{ cert: b2.certPem, key: b2.keyPem }]], select: (n) => (n === "b.test" ? 1 : 0) });
      // The move to another TLS library may take a moment (the native listener closes, the other binds).
      let moved: Socket | undefined;
      for (let i = 0; i < 50 && moved === undefined; i++) {
        try {
          moved = await scope.connect(l.port, new Probe(), 3000, { ...tls.client, servername: "b.test", ca: ca2 });
        } catch {
          await sleep(20);
        }
      }
      assert(moved?.tls !== undefined, "b.test served after the reload to two certificates");
      client.write(enc.encode("two"));
      await within(probe.bytesArrived(6), 3000, "echo after the second reload, same connection");
      eq(probe.text(), "onetwo", "echo");
      client.end();
    },
  },

  {
    name: "tls-reload",
    timeoutMs: 10000,
    async run(scope, info) {
      const tls = scope.tls!;
      const srv = await scope.server((s) => {
        s.events = { data: (c) => s.write(c), drain() {}, end: () => s.end(), close() {} };
      });
      const probe = new Probe();
      const client = await scope.connect(srv.port, probe);
      client.write(enc.encode("one"));
      await within(probe.bytesArrived(3), 3000, "echo before the reload");
      // New certificates from another CA: old clients' CA no longer verifies them.
      const pki2 = new TestPki();
      const a2 = pki2.leaf("a2", { names: ["a.test"] });
      const b2 = pki2.leaf("b2", { names: ["b.test"] });
      srv.listener.reloadTls!({
        ...tls.server,
        groups: [[{ cert: a2.certPem, key: a2.keyPem }], [{ cert: b2.certPem, key: b2.keyPem }]],
      });
      client.write(enc.encode("two"));
      await within(probe.bytesArrived(6), 3000, "echo after the reload, same connection");
      eq(probe.text(), "onetwo", "echo");
      const ca2 = readFileSync(pki2.caFile, "utf8");
      const fresh = await scope.connect(srv.port, new Probe(), 3000, { ...tls.client, servername: "b.test", ca: ca2 });
      assert(fresh.tls !== undefined, "new connection verified with the new CA");
      let err: unknown;
      try {
        await scope.connect(srv.port, new Probe(), 3000, { ...tls.client, servername: "b.test" });
      } catch (e) {
        err = e;
      }
      assert(err instanceof ConnectError, `the old certificate is still served: ${err}`);
      info.oldCaRefused = err.code;
      client.end();
    },
  },
];

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(10);
}

/** Certificates for the TLS pass: a.test (ECDSA and RSA, the default) and b.test. */
export function tlsMode(): TlsMode {
  const pki = new TestPki();
  const a = pki.leaf("a", { names: ["a.test"] });
  const aRsa = pki.leaf("a-rsa", { names: ["a.test"], key: "rsa" });
  const b = pki.leaf("b", { names: ["b.test"] });
  const server: ServerTlsOptions = {
    groups: [
      [{ cert: a.certPem, key: a.keyPem }, { cert: aRsa.certPem, key: aRsa.keyPem }],
      [{ cert: b.certPem, key: b.keyPem }],
    ],
    select: (name) => (name === "b.test" ? 1 : 0),
    alpn: ["h2", "http/1.1"],
    tickets: true,
    ticketKeyRotateMs: 3_600_000,
    handshakeTimeoutMs: 1000,
  };
  const client: ClientTlsOptions = {
    servername: "a.test",
    verify: true,
    ca: readFileSync(pki.caFile, "utf8"),
    alpn: [],
    tickets: true,
  };
  return { server, client, pki, leaves: [a, b], failures: [] };
}

/** Checks about the clock and timers: nothing TLS could change. */
export const NOT_SOCKETS = new Set(["clocks", "timer-fires-once", "timer-cleared", "defer-order"]);

