// The demo's backends: tiny HTTP/1.0-style responders that answer every
// connection with their own name and close, so that each `curl` through a TCP
// frontend shows which server the balancer picked.
import type { Listener, Runtime, Socket, SocketEvents } from "../runtime/types.ts";

const encoder = new TextEncoder();
const HEADER_END = encoder.encode("\r\n\r\n");

function endsHeaders(buffered: Uint8Array[]): boolean {
  const all = buffered.length === 1 ? buffered[0]! : concat(buffered);
  outer: for (let i = 0; i + HEADER_END.length <= all.length; i++) {
    for (let j = 0; j < HEADER_END.length; j++) if (all[i + j] !== HEADER_END[j]) continue outer;
    return true;
  }
  return false;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function answer(name: string): Uint8Array {
  const body = `Hello from ${name}\n`;
  return encoder.encode(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n` +
      `X-Served-By: ${name}\r\nConnection: close\r\n\r\n${body}`,
  );
}

class DemoConnection implements SocketEvents {
  private buffered: Uint8Array[] = [];
  private answered = false;
  constructor(private readonly socket: Socket, private readonly reply: Uint8Array) {}
  data(chunk: Uint8Array): void {
    if (this.answered) return;
    this.buffered.push(chunk);
    if (endsHeaders(this.buffered)) this.respond();
  }
  drain(): void {}
  end(): void {
    // A client that only opens and closes (nc, telnet) still gets the name.
    this.respond();
  }
  close(): void {}
  private respond(): void {
    if (this.answered) return;
    this.answered = true;
    this.socket.write(this.reply);
    this.socket.end();
  }
}

export async function startDemoBackend(runtime: Runtime, name: string): Promise<Listener> {
  const reply = answer(name);
  return await runtime.listen({ hostname: "127.0.0.1", port: 0 }, (socket) => {
    socket.events = new DemoConnection(socket, reply);
  });
}
