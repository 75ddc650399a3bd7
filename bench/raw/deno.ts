// The raw forwarder on Deno's sockets (see ../raw-forwarder.ts); checked with
// `deno check`, not tsc (it needs Deno's types).
import type { Endpoint } from "./endpoint.ts";

export async function forward(listen: Endpoint, upstream: Endpoint, ready: () => void): Promise<void> {
  // One direction: each read is written out whole before the next read (the backpressure).
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await from.read(buf);
        if (n === null) break;
        for (let o = 0; o < n;) o += await to.write(buf.subarray(o, n));
      }
      await to.closeWrite();
    } catch {
      try {
        from.close();
      } catch { /* closed already */ }
      try {
        to.close();
      } catch { /* closed already */ }
    }
  };
  const listener = Deno.listen({ ...listen, transport: "tcp" });
  ready();
  for await (const client of listener) {
    Deno.connect({ ...upstream, transport: "tcp" }).then((s) => {
      client.setNoDelay(true);
      s.setNoDelay(true);
      pump(client, s);
      pump(s, client);
    }, () => client.close());
  }
}

/** The runtime's floor for an idle keep-alive connection (see bun.ts): answers each read with `response`, holds the socket. */
export async function answer(listen: Endpoint, response: Uint8Array, ready: () => void): Promise<void> {
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        await conn.write(response);
      }
    } catch { /* reset: the socket is gone */ }
    try {
      conn.close();
    } catch { /* closed already */ }
  };
  const listener = Deno.listen({ ...listen, transport: "tcp" });
  ready();
  for await (const conn of listener) serve(conn);
}
