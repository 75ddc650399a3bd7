// The floor the runtimes set: a minimal TCP forwarder (no parsing, no timers,
// no pools), run by bench/run.ts beside sluice as `--proxy bun-raw,deno-raw`.
// What it measures is what Bun's or Deno's socket I/O alone costs on the same
// load, so sluice's rows can be read against it: the distance between sluice
// and this row is the engine's; the distance between this row and HAProxy's
// is the runtime's. Not a product: it reads only `bind` and the first
// `server` of the generated config, and handles backpressure just enough
// for the benchmark's cases.
//   bun bench/raw-forwarder.ts -f CFG        deno run -A bench/raw-forwarder.ts -f CFG

import { readFileSync } from "node:fs";

const args = (globalThis as { process?: { argv: string[] } }).process?.argv.slice(2) ?? [];
const cfgPath = args[args.indexOf("-f") + 1];
if (args.indexOf("-f") < 0 || cfgPath === undefined) throw new Error("usage: raw-forwarder.ts -f CFG");
const cfg = readFileSync(cfgPath, "utf8");
const bind = cfg.match(/^\s*bind\s+([\d.]+):(\d+)/m);
const server = cfg.match(/^\s*server\s+\S+\s+([\d.]+):(\d+)/m);
if (!bind || !server) throw new Error(`${cfgPath}: no bind or server line`);
const listen = { hostname: bind[1]!, port: Number(bind[2]) };
const upstream = { hostname: server[1]!, port: Number(server[2]) };
const ready = () => console.error(`raw forwarder (${"Bun" in globalThis ? "bun" : "deno"}) ready`);

if ("Bun" in globalThis) runBun();
else await runDeno();

function runBun(): void {
  type End = { peer?: import("bun").Socket<End>; early: Uint8Array[]; queue: Uint8Array[] };
  const send = (to: import("bun").Socket<End>, bytes: Uint8Array) => {
    if (to.data.queue.length > 0) return void to.data.queue.push(bytes.slice());
    const n = to.write(bytes);
    if (n >= 0 && n < bytes.length) to.data.queue.push(bytes.slice(n));
  };
  const drain = (s: import("bun").Socket<End>) => {
    const q = s.data.queue;
    while (q.length > 0) {
      const n = s.write(q[0]!);
      if (n < 0) return;
      if (n < q[0]!.length) return void (q[0] = q[0]!.subarray(n));
      q.shift();
    }
  };
  const handlers = {
    data(s: import("bun").Socket<End>, bytes: Uint8Array) {
      if (s.data.peer) send(s.data.peer, bytes);
      else s.data.early.push(bytes.slice());
    },
    drain,
    close(s: import("bun").Socket<End>) {
      s.data.peer?.end();
    },
    error() {},
  };
  Bun.listen<End>({
    ...listen,
    socket: {
      ...handlers,
      open(client) {
        client.setNoDelay(true);
        client.data = { early: [], queue: [] };
        Bun.connect<End>({
          ...upstream,
          socket: {
            ...handlers,
            open(s) {
              s.setNoDelay(true);
              s.data = { peer: client, early: [], queue: [] };
              client.data.peer = s;
              for (const b of client.data.early) send(s, b);
            },
            connectError() {
              client.end();
            },
          },
        }).catch(() => client.end());
      },
    },
  });
  ready();
}

async function runDeno(): Promise<void> {
  const D = (globalThis as unknown as { Deno: typeof Deno }).Deno;
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
  const listener = D.listen({ ...listen, transport: "tcp" });
  ready();
  for await (const client of listener) {
    D.connect({ ...upstream, transport: "tcp" }).then((s) => {
      client.setNoDelay(true);
      s.setNoDelay(true);
      pump(client, s);
      pump(s, client);
    }, () => client.close());
  }
}
