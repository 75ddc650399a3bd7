// The raw HTTP/2 gateway on Bun's sockets (see ../raw-h2.ts): the h2 rows'
// socket work with no HTTP engine. Each HEADERS frame from the client sends
// one fixed HTTP/1.1 request on an idle keep-alive server connection (a new
// one when none is idle); each complete response goes back as a pre-encoded
// HEADERS (`:status 200`, one HPACK byte) and one DATA frame carrying its
// body. The client's frames of one turn of the event loop leave in one write,
// as sluice's do. No HPACK decoding (the request's fields are never read), no
// flow control (the rows' bodies are 13 bytes under h2load's 1 GiB windows),
// no timers, no backpressure beyond what the rows need.
import type { Socket, TLSOptions } from "bun";
import type { Endpoint } from "./endpoint.ts";

const PREFACE = 24;
const FRAME_HEADER = 9;
const DATA = 0, HEADERS = 1, SETTINGS = 4, PING = 6, GOAWAY = 7;
const END_STREAM = 1, ACK = 1, END_HEADERS = 4;
const STATUS_200 = 0x88;
const CRLFCRLF = new Uint8Array([13, 10, 13, 10]);
const CONTENT_LENGTH = new TextEncoder().encode("\r\nContent-Length:");

interface Client {
  sock: Socket<Client>;
  prefaceLeft: number;
  carry: Uint8Array | undefined;
  out: Uint8Array;
  outLen: number;
  queued: boolean;
  closed: boolean;
  /** Bytes the socket did not take yet, in order. */
  pending: Uint8Array[];
  flush: () => void;
}

interface Upstream {
  client: Client | undefined;
  stream: number;
  /** Bytes of a response that came in more than one read. */
  carry: Uint8Array | undefined;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function frameHeader(out: Uint8Array, at: number, length: number, type: number, flags: number, stream: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out[at + 5] = (stream >>> 24) & 0x7f;
  out[at + 6] = (stream >>> 16) & 0xff;
  out[at + 7] = (stream >>> 8) & 0xff;
  out[at + 8] = stream & 0xff;
}

function indexOf(b: Uint8Array, needle: Uint8Array, from: number): number {
  const last = b.length - needle.length;
  outer: for (let i = b.indexOf(needle[0]!, from); i >= 0 && i <= last; i = b.indexOf(needle[0]!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (b[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function gateway(listen: Endpoint, upstream: Endpoint, tls: TLSOptions | undefined, ready: () => void): void {
  const idle: Socket<Upstream>[] = [];
  const request = new TextEncoder().encode(`GET /small HTTP/1.1\r\nHost: ${upstream.hostname}:${upstream.port}\r\n\r\n`);

  /** Room for n more bytes in the client's turn buffer, the flush queued once per turn. */
  const reserve = (c: Client, n: number): Uint8Array => {
    if (c.outLen + n > c.out.length) {
      const next = new Uint8Array(Math.max(c.out.length * 2, c.outLen + n, 4096));
      next.set(c.out.subarray(0, c.outLen));
      c.out = next;
    }
    if (!c.queued) {
      c.queued = true;
      setImmediate(c.flush);
    }
    return c.out;
  };

  const respond = (c: Client, stream: number, body: Uint8Array): void => {
    const out = reserve(c, 2 * FRAME_HEADER + 1 + body.length);
    let at = c.outLen;
    frameHeader(out, at, 1, HEADERS, END_HEADERS, stream);
    out[at + FRAME_HEADER] = STATUS_200;
    at += FRAME_HEADER + 1;
    frameHeader(out, at, body.length, DATA, END_STREAM, stream);
    out.set(body, at + FRAME_HEADER);
    c.outLen = at + FRAME_HEADER + body.length;
  };

  const ask = (c: Client, stream: number): void => {
    const up = idle.pop();
    if (up !== undefined) {
      up.data.client = c;
      up.data.stream = stream;
      up.write(request);
      return;
    }
    void Bun.connect<Upstream>({ ...upstream, data: { client: c, stream, carry: undefined }, socket: upstreamHandlers }).catch(() => c.sock.end());
  };

  const frames = (c: Client, b: Uint8Array): void => {
    let p = 0;
    if (c.prefaceLeft > 0) {
      const n = Math.min(c.prefaceLeft, b.length);
      c.prefaceLeft -= n;
      p = n;
    }
    while (b.length - p >= FRAME_HEADER) {
      const length = (b[p]! << 16) | (b[p + 1]! << 8) | b[p + 2]!;
      if (b.length - p < FRAME_HEADER + length) break;
      const type = b[p + 3]!, flags = b[p + 4]!, stream = u32(b, p + 5) & 0x7fffffff;
      if (type === HEADERS && (flags & END_HEADERS) !== 0) ask(c, stream);
      else if (type === SETTINGS && (flags & ACK) === 0) {
        const out = reserve(c, FRAME_HEADER);
        frameHeader(out, c.outLen, 0, SETTINGS, ACK, 0);
        c.outLen += FRAME_HEADER;
      } else if (type === PING && (flags & ACK) === 0) {
        const out = reserve(c, FRAME_HEADER + 8);
        frameHeader(out, c.outLen, 8, PING, ACK, 0);
        out.set(b.subarray(p + FRAME_HEADER, p + FRAME_HEADER + 8), c.outLen + FRAME_HEADER);
        c.outLen += FRAME_HEADER + 8;
      } else if (type === GOAWAY) c.sock.end();
      p += FRAME_HEADER + length;
    }
    c.carry = p < b.length ? b.slice(p) : undefined;
  };

  const upstreamHandlers = {
    open(s: Socket<Upstream>) {
      s.write(request);
    },
    data(s: Socket<Upstream>, chunk: Uint8Array) {
      const u = s.data;
      const b = u.carry === undefined ? chunk : Buffer.concat([u.carry, chunk]);
      const headEnd = indexOf(b, CRLFCRLF, 0);
      if (headEnd < 0) return void (u.carry = b.slice());
      const cl = indexOf(b, CONTENT_LENGTH, 0);
      let length = 0;
      for (let i = cl + CONTENT_LENGTH.length; i < headEnd + 2; i++) {
        const d = b[i]! - 48;
        if (d >= 0 && d <= 9) length = length * 10 + d;
        else if (b[i] !== 32) break;
      }
      const bodyStart = headEnd + 4;
      if (b.length - bodyStart < length) return void (u.carry = b.slice());
      u.carry = undefined;
      const c = u.client!;
      u.client = undefined;
      if (!c.closed) respond(c, u.stream, b.subarray(bodyStart, bodyStart + length));
      idle.push(s);
    },
    close(s: Socket<Upstream>) {
      const i = idle.indexOf(s);
      if (i >= 0) idle.splice(i, 1);
      s.data.client?.sock.end();
    },
    connectError(s: Socket<Upstream>) {
      s.data.client?.sock.end();
    },
    error() {},
  };

  const serverSettings = new Uint8Array(FRAME_HEADER + 6);
  frameHeader(serverSettings, 0, 6, SETTINGS, 0, 0);
  serverSettings.set([0, 3, 0, 0, 0, 100], FRAME_HEADER); // MAX_CONCURRENT_STREAMS 100

  Bun.listen<Client>({
    ...listen,
    ...(tls === undefined ? {} : { tls }),
    socket: {
      open(sock) {
        const c: Client = {
          sock, prefaceLeft: PREFACE, carry: undefined, out: new Uint8Array(0), outLen: 0, queued: false, closed: false, pending: [],
          flush: () => {
            c.queued = false;
            if (c.closed || c.outLen === 0) return;
            const bytes = c.out.subarray(0, c.outLen);
            c.outLen = 0;
            if (c.pending.length > 0) return void c.pending.push(bytes.slice());
            // Bun writes what the kernel takes now; the rest waits for drain.
            const n = sock.write(bytes);
            if (n >= 0 && n < bytes.length) c.pending.push(bytes.slice(n));
          },
        };
        sock.data = c;
        const out = reserve(c, serverSettings.length);
        out.set(serverSettings, 0);
        c.outLen = serverSettings.length;
      },
      data(sock, chunk) {
        const c = sock.data;
        frames(c, c.carry === undefined ? chunk : Buffer.concat([c.carry, chunk]));
      },
      drain(sock) {
        const q = sock.data.pending;
        while (q.length > 0) {
          const n = sock.write(q[0]!);
          if (n < 0) return;
          if (n < q[0]!.length) return void (q[0] = q[0]!.subarray(n));
          q.shift();
        }
      },
      close(sock) {
        sock.data.closed = true;
      },
      error() {},
    },
  });
  ready();
}
