// Which TLS server API to use on each runtime: full handshakes per second and
// keep-alive HTTPS throughput of a tiny HTTP responder behind
//   - "node-tls": sluice's runtime adapter (node:tls, SNICallback: several
//     certificates by name; what sluice uses on both runtimes), and
//   - "native": the runtime's own TLS listener (Bun.listen({ tls }) under Bun,
//     Deno.listenTls under Deno), which takes one certificate.
// wrk drives it: keep-alive (`-c 50`), and new connections (`Connection:
// close`, one full handshake per request). The server runs on core 0, wrk on
// core 1 (2-core machine: results are relative, not absolute).
//
//   bun bench/tls.ts [seconds]           deno run -A bench/tls.ts [seconds]
//
// Prints a Markdown table; bench/README.md keeps the numbers.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Runtime, Socket } from "../src/runtime/types.ts";
import { TestPki } from "../tests/support/certs.ts";

const seconds = Number((globalThis as { Deno?: { args: string[] } }).Deno?.args[0] ?? process.argv[2] ?? 5);
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const RESPONSE = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\nhello, world\n");
const CLOSE_RESPONSE = new TextEncoder().encode(
  "HTTP/1.1 200 OK\r\ncontent-length: 13\r\nconnection: close\r\n\r\nhello, world\n",
);

/** Answers every request head (ends at CRLF CRLF); closes after one when the client asked. */
function respond(chunk: Uint8Array, state: { tail: string }, write: (b: Uint8Array) => void, end: () => void): void {
  let text = state.tail + new TextDecoder().decode(chunk);
  let at: number;
  while ((at = text.indexOf("\r\n\r\n")) >= 0) {
    const head = text.slice(0, at);
    text = text.slice(at + 4);
    if (/\r\nconnection: close/i.test(head)) {
      write(CLOSE_RESPONSE);
      end();
      return;
    }
    write(RESPONSE);
  }
  state.tail = text;
}

async function loadRuntime(): Promise<Runtime> {
  if (isBun) return (await import("../src/runtime/bun.ts")).bunRuntime;
  const denoAdapter = "../src/runtime/deno.ts";
  return ((await import(denoAdapter)) as { denoRuntime: Runtime }).denoRuntime;
}

async function nodeTlsServer(cert: string, key: string): Promise<{ port: number; close(): void }> {
  const rt = await loadRuntime();
  const listener = await rt.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: {
      groups: [[{ cert, key }]],
      select: () => 0,
      alpn: [],
      tickets: true,
      ticketKeyRotateMs: 3_600_000,
      handshakeTimeoutMs: 5000,
    },
  }, (s: Socket) => {
    const state = { tail: "" };
    s.events = {
      data: (c) => respond(c, state, (b) => s.write(b), () => s.end()),
      drain() {},
      end: () => s.end(),
      close() {},
    };
  });
  return { port: listener.port, close: () => listener.close() };
}

type BunTlsSocket = { write(b: Uint8Array): number; end(): void; data: { tail: string } };

async function nativeServer(cert: string, key: string): Promise<{ port: number; close(): void }> {
  if (isBun) {
    const B = (globalThis as unknown as {
      Bun: { listen(o: unknown): { port: number; stop(force?: boolean): void } };
    }).Bun;
    const server = B.listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert, key },
      socket: {
        open(s: BunTlsSocket) {
          s.data = { tail: "" };
        },
        data(s: BunTlsSocket, chunk: Uint8Array) {
          respond(chunk, s.data, (b) => s.write(b), () => s.end());
        },
      },
    });
    return { port: server.port, close: () => server.stop(true) };
  }
  const D = (globalThis as unknown as {
    Deno: {
      listenTls(o: unknown): AsyncIterable<{
        read(b: Uint8Array): Promise<number | null>;
        write(b: Uint8Array): Promise<number>;
        close(): void;
      }> & { addr: { port: number }; close(): void };
    };
  }).Deno;
  const listener = D.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(16384);
        const state = { tail: "" };
        let open = true;
        try {
          while (open) {
            const n = await conn.read(buf);
            if (n === null) break;
            const out: Uint8Array[] = [];
            respond(buf.subarray(0, n), state, (b) => out.push(b), () => (open = false));
            for (const b of out) await conn.write(b);
          }
        } catch {
          // a client that went away
        }
        try {
          conn.close();
        } catch { /* */ }
      })();
    }
  })().catch(() => {});
  return { port: listener.addr.port, close: () => listener.close() };
}

/**
 * wrk as a child (asynchronous: the server under test lives in this process).
 * `cpuUs`: this process's CPU time per request meanwhile, which other processes
 * on a shared machine disturb far less than req/s.
 */
function wrk(port: number, close: boolean): Promise<{ rps: number; p99: string; cpuUs: number }> {
  const args = ["-c", "1", "wrk", "-t1", close ? "-c10" : "-c50", `-d${seconds}s`, "--latency"];
  if (close) args.push("-H", "Connection: close");
  args.push(`https://127.0.0.1:${port}/`);
  const cpu0 = process.cpuUsage();
  return new Promise((resolve) => {
    const child = spawn("taskset", args, { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout!.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
    child.on("close", () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
      const p99 = /99%\s+(\S+)/.exec(out)?.[1] ?? "?";
      const used = process.cpuUsage(cpu0);
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
      resolve({ rps, p99, cpuUs: requests > 0 ? (used.user + used.system) / requests : NaN });
    });
  });
}

async function main(): Promise<void> {
  // The server side on core 0 (wrk goes to core 1).
  try {
    execFileSync("taskset", ["-pc", "0", String(process.pid)], { stdio: "ignore" });
  } catch { /* not pinned: still a comparison */ }
  const pki = new TestPki();
  const leaves = {
    "ECDSA P-256": pki.leaf("ec", { names: ["bench.test"] }),
    "RSA-2048": pki.leaf("rsa", { names: ["bench.test"], key: "rsa" }),
  };
  const runtime = isBun ? `Bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}` : `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;
  console.log(`\n${runtime}, ${seconds} s per run\n`);
  console.log("| server | certificate | keep-alive req/s | p99 | CPU µs/req | handshakes/s (Connection: close) | p99 | CPU µs/handshake |");
  console.log("|---|---|---:|---:|---:|---:|---:|---:|");
  for (const [label, leaf] of Object.entries(leaves)) {
    const cert = readFileSync(leaf.cert, "utf8");
    const key = readFileSync(leaf.key, "utf8");
    for (const [name, make] of [["node-tls (sluice)", nodeTlsServer], ["native", nativeServer]] as const) {
      const server = await make(cert, key);
      const ka = await wrk(server.port, false);
      const hs = await wrk(server.port, true);
      server.close();
      console.log(`| ${name} | ${label} | ${Math.round(ka.rps)} | ${ka.p99} | ${ka.cpuUs.toFixed(1)} | ${Math.round(hs.rps)} | ${hs.p99} | ${hs.cpuUs.toFixed(0)} |`);
    }
  }
  const exit = (globalThis as { Deno?: { exit(c: number): never } }).Deno?.exit ?? process.exit;
  exit(0);
}

await main();
