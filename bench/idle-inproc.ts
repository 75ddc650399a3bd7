// Where an idle keep-alive connection's memory goes in the whole process,
// under Bun: sluice runs in this process on Bun's real sockets (the adapter
// included), the clients in a child process (their sockets are not in this
// heap). After N connections, each after one GET answered by an in-process
// backend: the heap (after a full GC) and the RSS per connection, and the RSS
// again after the GC. Bounded: N connections on 127.0.0.1, then exit.
//   bun bench/idle-inproc.ts [N]      (bun --smol bench/idle-inproc.ts: the same under --smol)
//   NOREQ=1: the clients only connect (no request): what the request itself leaves behind
import { heapStats } from "bun:jsc";
import { readFileSync } from "node:fs";
import { loadConfigTexts } from "../src/config/load.ts";
import { Proxy } from "../src/core/proxy.ts";
import { SinkPool } from "../src/log/sink.ts";
import { bunRuntime } from "../src/runtime/bun.ts";

const N = Number(process.argv[2] ?? "") || 5000;
const rss = () => Number(readFileSync("/proc/self/status", "utf8").match(/^VmRSS:\s+(\d+) kB/m)![1]) * 1024;
const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, world\n");
const backend = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s, b) { if (b.includes(0x0a)) s.write(RESPONSE); } } });
const proxyPort = 20000 + Math.floor(Math.random() * 20000);
const loaded = loadConfigTexts([{ name: "idle.cfg", text: `global
    maxconn ${N + 100}
defaults
    mode http
    no log
    timeout connect 5s
    timeout client 10m
    timeout server 30s
frontend fe
    bind 127.0.0.1:${proxyPort}
    default_backend be
backend be
    server s1 127.0.0.1:${backend.port}
` }]);
if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
const proxy = new Proxy(loaded.config, bunRuntime, new SinkPool({ timers: bunRuntime }));
await proxy.start();

const clients = `
const N = ${N}; const socks = []; const req = Buffer.from("GET /small HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n");
for (let done = 0; done < N; done += 200) {
  await Promise.all(Array.from({ length: Math.min(200, N - done) }, () => new Promise((ok, no) => {
    Bun.connect({ hostname: "127.0.0.1", port: ${proxyPort}, socket: { open(s) { if (process.env.NOREQ) { socks.push(s); ok(); } else s.write(req); }, data(s) { socks.push(s); ok(); }, error(_s, e) { no(e); } } }).catch(no);
  })));
}
console.log("open"); await new Promise(() => {});`;

const gc = () => (Bun.gc(true), Bun.gc(true));
await Bun.sleep(500);
gc();
const h0 = heapStats().heapSize, r0 = rss();
const child = Bun.spawn([process.execPath, "-e", clients], { stdout: "pipe", stderr: "inherit" });
const reader = child.stdout.getReader();
const { value } = await reader.read();
if (!new TextDecoder().decode(value).includes("open")) throw new Error("clients failed");
await Bun.sleep(1000);
const r1 = rss();
gc();
await Bun.sleep(1000);
const h1 = heapStats().heapSize, r2 = rss();
const kib = (b: number) => `${(b / N / 1024).toFixed(2)} KiB`;
console.log(`bun${process.execArgv.length ? " " + process.execArgv.join(" ") : ""}: ${N} idle connections: heap ${kib(h1 - h0)} per connection after a full GC; RSS ${kib(r1 - r0)} before that GC, ${kib(r2 - r0)} after`);
child.kill();
await proxy.stop(0);
backend.stop(true);
process.exit(0);
