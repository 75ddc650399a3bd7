// Peers for the connection-ownership tests: a backend that reports which of
// its connections answered (and how many requests that connection carried),
// can authenticate connections the way IIS does with NTLM, and can close
// connections under a client; and a keep-alive HTTP/1.1 client that is exactly
// one TCP connection, so a test knows which session each request belongs to.
import http from "node:http";
import net from "node:net";

type IdSocket = net.Socket & { connId?: number; requests?: number; challenge?: string; user?: string };

export interface BackendRequest {
  conn: number;
  url: string;
  nonce: string | undefined;
  authorization: string | undefined;
}

export interface ConnBackend {
  readonly name: string;
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Connections open now. */
  readonly open: number;
  /** Ids of the connections that closed, in order. */
  readonly closedIds: number[];
  readonly requests: BackendRequest[];
  /** Ids of connections open now. */
  openIds(): number[];
  /** Closes (from the server side) every connection that is idle now. */
  closeIdle(): void;
  /** The next N requests that arrive on a connection that already answered one are met with a close, no answer. */
  dropReused: number;
  /** Answers to paths starting with /slow wait this long (ms) after the request arrived; 0: no wait. Starts as options.delayMs. */
  delayMs: number;
  close(): Promise<void>;
}

export interface ConnBackendOptions {
  /** Answer like IIS with Windows authentication: 401 Negotiate/NTLM, a challenge bound to the connection, 200 once authenticated. */
  ntlm?: boolean;
  /** With ntlm: only paths starting with this prefix require authentication (others answer 200, plus x-user once the connection is authenticated). */
  ntlmPrefix?: string;
  /** Initial ConnBackend.delayMs: answers to paths starting with /slow wait this long. */
  delayMs?: number;
  port?: number;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString();

/** The fake NTLM messages: type 1 "T1:", type 2 "T2:challenge", type 3 "T3:user:challenge". */
export const ntlmType1 = () => `NTLM ${b64("T1:")}`;
export const ntlmType3 = (user: string, challenge: string) => `NTLM ${b64(`T3:${user}:${challenge}`)}`;
export function ntlmChallengeOf(wwwAuthenticate: string | string[] | undefined): string | undefined {
  const values = Array.isArray(wwwAuthenticate) ? wwwAuthenticate : wwwAuthenticate === undefined ? [] : [wwwAuthenticate];
  for (const v of values) {
    const m = /^NTLM (\S+)$/.exec(v);
    if (m) {
      const text = unb64(m[1]!);
      if (text.startsWith("T2:")) return text.slice(3);
    }
  }
  return undefined;
}

let challenges = 0;

export async function connBackend(name: string, options: ConnBackendOptions = {}): Promise<ConnBackend> {
  const sockets = new Set<IdSocket>();
  const busy = new Set<IdSocket>();
  let connections = 0;
  const closedIds: number[] = [];
  const requests: BackendRequest[] = [];
  const b: ConnBackend = {
    name,
    port: 0,
    get connections() {
      return connections;
    },
    set connections(n: number) {
      connections = n;
    },
    get open() {
      return sockets.size;
    },
    closedIds,
    requests,
    openIds: () => [...sockets].map((s) => s.connId!),
    closeIdle: () => {
      for (const s of sockets) if (!busy.has(s)) s.destroy();
    },
    dropReused: 0,
    delayMs: options.delayMs ?? 0,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const socket = req.socket as IdSocket;
    busy.add(socket);
    res.on("finish", () => busy.delete(socket));
    req.resume();
    req.on("end", () => {
      const delay = req.url!.startsWith("/slow") ? b.delayMs : 0;
      if (delay > 0) {
        // The request is seen now; the answer waits.
        const nonce = req.headers["x-nonce"] as string | undefined;
        requests.push({ conn: socket.connId!, url: req.url!, nonce, authorization: req.headers.authorization });
        setTimeout(() => answer(true), delay);
      } else {
        answer(false);
      }
    });
    const answer = (recorded: boolean) => {
      socket.requests = (socket.requests ?? 0) + 1;
      const nonce = req.headers["x-nonce"] as string | undefined;
      const authorization = req.headers.authorization;
      if (!recorded) requests.push({ conn: socket.connId!, url: req.url!, nonce, authorization });
      if (b.dropReused > 0 && socket.requests > 1) {
        b.dropReused--;
        socket.destroy();
        return;
      }
      res.setHeader("x-served-by", name);
      res.setHeader("x-conn-id", String(socket.connId));
      res.setHeader("x-conn-requests", String(socket.requests));
      if (nonce !== undefined) res.setHeader("x-nonce", nonce);
      if (options.ntlm && socket.user === undefined && req.url!.startsWith(options.ntlmPrefix ?? "")) {
        const m = authorization === undefined ? null : /^NTLM (\S+)$/.exec(authorization);
        const text = m ? unb64(m[1]!) : "";
        if (text.startsWith("T1:")) {
          socket.challenge = `c${++challenges}`;
          res.statusCode = 401;
          res.setHeader("www-authenticate", `NTLM ${b64(`T2:${socket.challenge}`)}`);
          return res.end("challenge\n");
        }
        const t3 = /^T3:([^:]+):(.+)$/.exec(text);
        if (t3 && t3[2] === socket.challenge) {
          socket.user = t3[1];
        } else {
          // No credentials, or a type-3 message for another connection's challenge.
          socket.challenge = undefined;
          res.statusCode = 401;
          res.setHeader("www-authenticate", ["Negotiate", "NTLM"]);
          return res.end("unauthorized\n");
        }
      }
      if (socket.user !== undefined) res.setHeader("x-user", socket.user);
      res.end(`${name} ${socket.connId} ${nonce ?? "-"}\n`);
    };
  });
  server.keepAliveTimeout = 60000;
  server.on("connection", (s: IdSocket) => {
    s.connId = ++connections;
    sockets.add(s);
    s.on("close", () => {
      sockets.delete(s);
      closedIds.push(s.connId!);
    });
  });
  await new Promise<void>((r) => server.listen(options.port ?? 0, "127.0.0.1", () => r()));
  b.port = (server.address() as net.AddressInfo).port;
  b.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return b;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/** One client TCP connection sending requests one after another (keep-alive). */
export class H1Client {
  private buf = Buffer.alloc(0);
  private waiter: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.parse();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.ended = true;
        this.waiter?.reject(new Error("connection closed without a (complete) response"));
        this.waiter = undefined;
        resolve();
      });
    });
    socket.on("error", () => {});
  }

  static connect(port: number): Promise<H1Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(new H1Client(s)));
      s.once("error", reject);
    });
  }

  request(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    if (this.waiter) throw new Error("one request at a time");
    const lines = [`GET ${path} HTTP/1.1`, "Host: test", ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    const p = new Promise<Reply>((resolve, reject) => (this.waiter = { resolve, reject }));
    if (this.ended) {
      this.waiter!.reject(new Error("connection already closed"));
      this.waiter = undefined;
    } else {
      this.socket.write(lines.join("\r\n") + "\r\n\r\n");
    }
    return p;
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(): void {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0 || !this.waiter) return;
    const head = this.buf.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const headers: Record<string, string | string[]> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      const had = headers[k];
      headers[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    const length = Number(headers["content-length"] ?? 0);
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.subarray(end + 4, end + 4 + length).toString();
    this.buf = this.buf.subarray(end + 4 + length);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve({ status, headers, body });
  }
}

/** The three-step NTLM handshake on one client connection; resolves with the authenticated reply. */
export async function ntlmHandshake(client: H1Client, user: string, path = "/auth"): Promise<Reply> {
  const first = await client.request(path);
  if (first.status !== 401) throw new Error(`step 1: expected 401, got ${first.status}`);
  const second = await client.request(path, { Authorization: ntlmType1() });
  const challenge = ntlmChallengeOf(second.headers["www-authenticate"]);
  if (second.status !== 401 || challenge === undefined) throw new Error(`step 2: expected a 401 NTLM challenge, got ${second.status}`);
  const third = await client.request(path, { Authorization: ntlmType3(user, challenge) });
  if (third.status !== 200 || third.headers["x-user"] !== user) {
    throw new Error(`step 3: expected 200 for ${user}, got ${third.status} user ${third.headers["x-user"]}`);
  }
  return third;
}
