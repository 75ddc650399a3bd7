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
