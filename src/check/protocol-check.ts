// The checks HAProxy writes as tcp-check sequences of its own, played as
// probe scripts like tcp-check rules: `option redis-check` (PING, +PONG),
// `option mysql-check` (the server's greeting; with a user, a login with no
// password and a QUIT, then the server's OK or error) and `option
// pgsql-check` (a startup message, then an authentication request rather
// than an error) and `option ssl-hello-chk` (a TLS ClientHello, then a TLS
// record back). Verdicts and their words follow HAProxy's, so logs and the
// stats page read the same.
import { randomBytes } from "node:crypto";
import type { ProtocolCheck } from "../config/types.ts";
import type { Judge, Step, Verdict } from "./probe.ts";

const latin1 = new TextDecoder("latin1");

function bytes(parts: readonly (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p);
    else for (let i = 0; i < p.length; i++) out.push(p.charCodeAt(i) & 0xff);
  }
  return Uint8Array.from(out);
}

/** HAProxy's words for an answer that ended too early. */
const TRUNCATED: Verdict = { status: "L7RSP", info: "TCPCHK got an empty response at step 2" };

// ---------------------------------------------------------------- redis

const PING = bytes(["*1\r\n$4\r\nPING\r\n"]);
const PONG = "+PONG\r\n";

const redisJudge: Judge = (received, closed) => {
  const text = latin1.decode(received);
  if (text.includes(PONG)) return { status: "L7OK", info: "Redis server is ok", code: 0 };
  // An error line (-LOADING, -NOAUTH...) says why: HAProxy reports the first line.
  const eol = text.indexOf("\r\n");
  if (eol >= 0 || closed) {
    if (received.length === 0) return TRUNCATED;
    return { status: "L7STS", info: eol >= 0 ? text.slice(0, eol) : text };
  }
  return undefined;
};

// ---------------------------------------------------------------- mysql

/** One MySQL packet: a 3-byte little-endian length, a sequence id, the payload. */
function mysqlPacket(seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  out[0] = payload.length & 0xff;
  out[1] = (payload.length >> 8) & 0xff;
  out[2] = (payload.length >> 16) & 0xff;
  out[3] = seq;
  out.set(payload, 4);
  return out;
}

/** A login with no password (HAProxy's: the user needs none) followed by COM_QUIT, in one write. */
function mysqlLogin(user: string, post41: boolean): Uint8Array {
  const auth = post41
    ? // CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION, max packet as HAProxy writes it, utf8, 23 reserved zeroes.
      bytes([0x00, 0x82, 0x00, 0x00, 0x00, 0x80, 0x00, 0x01, 0x21, ...new Array<number>(23).fill(0), user, 0, 0])
    : // Pre-4.1: 2 bytes of capabilities (CLIENT_SECURE_CONNECTION), 3 of max packet.
      bytes([0x00, 0x80, 0x00, 0x00, 0x01, user, 0, 0]);
  const login = mysqlPacket(1, auth);
  const quit = mysqlPacket(0, bytes([0x01]));
  const out = new Uint8Array(login.length + quit.length);
  out.set(login);
  out.set(quit, login.length);
  return out;
}

/** The packet at `offset`: its first payload byte and its end, or undefined while incomplete. */
function mysqlPacketAt(received: Uint8Array, offset: number): { kind: number; end: number } | undefined {
  if (received.length < offset + 5) return undefined;
  const length = received[offset]! | (received[offset + 1]! << 8) | (received[offset + 2]! << 16);
  const end = offset + 4 + length;
  return received.length < end ? undefined : { kind: received[offset + 4]!, end };
}

/** An error packet's message: after the code, the '#' and its SQLSTATE when present (4.1+). */
function mysqlError(received: Uint8Array, offset: number, end: number): Verdict {
  let from = offset + 7;
  if (received[from] === 0x23) from += 6;
  return { status: "L7STS", info: latin1.decode(received.subarray(from, end)) };
}

/** The server's version, a NUL-terminated string after the protocol byte of its greeting. */
function mysqlVersion(received: Uint8Array, end: number): string {
  const start = 5;
  let stop = start;
  while (stop < end && received[stop] !== 0) stop++;
  return latin1.decode(received.subarray(start, stop));
}

/** The greeting (or an error packet instead: too many connections, host blocked...). */
const mysqlGreeting: Judge = (received, closed) => {
  const p = mysqlPacketAt(received, 0);
  if (p === undefined) return closed ? TRUNCATED : undefined;
  if (p.kind === 0xff) return mysqlError(received, 0, p.end);
  return { status: "L7OK", info: mysqlVersion(received, p.end), code: 0 };
};

/** After the greeting, the answer to the login: OK (0x00) or an error packet. */
const mysqlLoginAnswer: Judge = (received, closed) => {
  const greeting = mysqlPacketAt(received, 0);
  const p = greeting === undefined ? undefined : mysqlPacketAt(received, greeting.end);
  if (greeting === undefined || p === undefined) return closed ? TRUNCATED : undefined;
  if (p.kind === 0xff) return mysqlError(received, greeting.end, p.end);
  if (p.kind !== 0x00) return { status: "L7RSP", info: "Received a non-OK packet after the login (does the check user need a password or a plugin?)" };
  return { status: "L7OK", info: mysqlVersion(received, greeting.end), code: 0 };
};

// ---------------------------------------------------------------- pgsql

/** A v3.0 startup message naming the user (and, by default, the database of its name). */
function pgStartup(user: string): Uint8Array {
  const body = bytes([0x00, 0x03, 0x00, 0x00, "user", 0, user, 0, 0]);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(body, 4);
  return out;
}

/** Authentication request types a server may ask with (ok, Kerberos, cleartext, crypt, MD5, SCM, GSS, SSPI, SASL). */
const PG_AUTH_TYPES = new Set([0, 2, 3, 4, 5, 6, 7, 9, 10]);

const pgAnswer: Judge = (received, closed) => {
  if (received.length >= 1 && received[0] === 0x45) {
    // An ErrorResponse ('E'): HAProxy reports its fields from the sixth byte on.
    if (received.length < 5 && !closed) return undefined;
    return { status: "L7RSP", info: latin1.decode(received.subarray(6)).replace(/\0+/g, " ").trim() };
  }
  if (received.length < 9) return closed ? (received.length === 0 ? TRUNCATED : { status: "L7STS", info: "PostgreSQL unknown error" }) : undefined;
  const view = new DataView(received.buffer, received.byteOffset, received.byteLength);
  if (received[0] === 0x52 && PG_AUTH_TYPES.has(view.getUint32(5))) return { status: "L7OK", info: "PostgreSQL server is ok", code: 0 };
  return { status: "L7STS", info: "PostgreSQL unknown error" };
};

// ---------------------------------------------------------------- ssl-hello

/** Big-endian 16-bit length before `body`, as TLS writes its vectors. */
function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

/**
 * A TLS 1.2 ClientHello of our own (RFC 5246 §7.4.1.2): fresh random bytes,
 * no session, the usual ECDHE/RSA AES-GCM and CBC suites, the groups, point
 * formats and signature algorithms a server needs to pick an ECDHE suite.
 * Any TLS server answers it with a handshake record (its ServerHello) or an
 * alert: either proves it speaks TLS, which is all the check asks.
 */
function clientHello(random: Uint8Array): Uint8Array {
  const suites = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a];
  const groups = [0x001d, 0x0017, 0x0018];
  const signatures = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201];
  const list = (items: number[]) => items.flatMap(u16);
  const extension = (type: number, body: number[]) => [...u16(type), ...u16(body.length), ...body];
  const extensions = [
    ...extension(0x000a, [...u16(groups.length * 2), ...list(groups)]),
    ...extension(0x000b, [1, 0]),
    ...extension(0x000d, [...u16(signatures.length * 2), ...list(signatures)]),
  ];
  const hello = [
    0x03, 0x03, // client_version TLS 1.2
    ...random,
    0, // no session id
    ...u16(suites.length * 2), ...list(suites),
    1, 0, // compression: null only
    ...u16(extensions.length), ...extensions,
  ];
  const handshake = [1, (hello.length >> 16) & 0xff, ...u16(hello.length & 0xffff), ...hello];
  // The record says TLS 1.0, as clients write their first record for the oldest servers' sake.
  return Uint8Array.from([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

/** A TLS record back, a handshake (22) or an alert (21): the server speaks TLS (HAProxy's L6OK). */
const sslHelloJudge: Judge = (received, closed) => {
  if (received.length > 0) {
    const type = received[0]!;
    return type === 0x16 || type === 0x15 ? { status: "L6OK", info: "" } : { status: "L6RSP", info: "" };
  }
  return closed ? { status: "L6RSP", info: "TCPCHK got an empty response at step 2" } : undefined;
};

// ---------------------------------------------------------------- scripts

const TIMEOUT: Verdict = { status: "L7TOUT", info: "" };

/** The script of a protocol check and its verdict when every step passed (the last expect's, in practice). */
export function protocolCheckScript(spec: ProtocolCheck): Step[] {
  if (spec.kind === "redis") {
    return [{ kind: "connect" }, { kind: "send", data: PING }, { kind: "expect", judge: redisJudge, onTimeout: TIMEOUT }];
  }
  if (spec.kind === "ssl-hello") {
    // Random once per server's script: a check's hello need not be fresh, only well formed.
    const random = new Uint8Array(randomBytes(32));
    return [{ kind: "connect" }, { kind: "send", data: clientHello(random) }, { kind: "expect", judge: sslHelloJudge, onTimeout: { status: "L6TOUT", info: "" } }];
  }
  if (spec.kind === "pgsql") {
    return [{ kind: "connect" }, { kind: "send", data: pgStartup(spec.user) }, { kind: "expect", judge: pgAnswer, onTimeout: TIMEOUT }];
  }
  if (spec.user === undefined) return [{ kind: "connect" }, { kind: "expect", judge: mysqlGreeting, onTimeout: TIMEOUT }];
  return [
    { kind: "connect" },
    { kind: "send", data: mysqlLogin(spec.user, spec.post41) },
    { kind: "expect", judge: mysqlGreeting, onTimeout: TIMEOUT },
    { kind: "expect", judge: mysqlLoginAnswer, onTimeout: TIMEOUT },
  ];
}
