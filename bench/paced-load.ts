// A fixed-rate HTTP/1.1 keep-alive load (what wrk cannot do): `connections`
// connections share `rate` requests per second, each sending its next GET when
// its answer is in and its turn has come. Two proxies then do the same work
// whatever their speed, so their memory can be compared at equal load.
//   bun bench/paced-load.ts PORT PATH RATE CONNECTIONS SECONDS
// Prints "N requests in S s, M late" (late: sent after their turn, because the
// answer came too slowly: the rate was not held).
import { parseArgs } from "node:util";

const { positionals } = parseArgs({ args: Bun.argv.slice(2), allowPositionals: true });
const [port, path, rate, connections, seconds] = [Number(positionals[0]), positionals[1]!, Number(positionals[2]), Number(positionals[3]), Number(positionals[4])];
if (!(port > 0 && rate > 0 && connections > 0 && seconds > 0 && seconds <= 120)) {
  console.error("usage: bun bench/paced-load.ts PORT PATH RATE CONNECTIONS SECONDS (at most 120 s)");
  process.exit(2);
}

const request = new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
const period = (1000 * connections) / rate; // ms between two requests of one connection
const start = performance.now();
const end = start + seconds * 1000;
let done = 0;
let late = 0;

/** Bytes of one response still expected: the head up to its blank line, then Content-Length bytes. */
function responseEnd(text: string): number {
  const h = text.indexOf("\r\n\r\n");
  if (h < 0) return -1;
  const m = /content-length:\s*(\d+)/i.exec(text.slice(0, h));
  if (!m) throw new Error("a response without Content-Length");
  const total = h + 4 + Number(m[1]);
  return text.length >= total ? total : -1;
}

const finished: Promise<void>[] = [];
for (let c = 0; c < connections; c++) {
  let due = start + (period * c) / connections;
  let buffered = "";
  let resolveDone!: () => void;
  finished.push(new Promise<void>((r) => (resolveDone = r)));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(s, chunk) {
        buffered += chunk.toString("latin1");
        for (;;) {
          const n = responseEnd(buffered);
          if (n < 0) return;
          buffered = buffered.slice(n);
          done++;
          next(s);
        }
      },
      close() {
        resolveDone();
      },
      error() {
        resolveDone();
      },
    },
  });
  const send = (s: typeof socket) => s.write(request);
  const next = (s: typeof socket) => {
    due += period;
    const now = performance.now();
    if (due >= end) {
      s.end();
      return;
    }
    if (due <= now) {
      late++;
      due = now;
      send(s);
    } else setTimeout(() => send(s), due - now);
  };
  const first = due - performance.now();
  setTimeout(() => send(socket), Math.max(0, first));
}
await Promise.race([Promise.all(finished), Bun.sleep(seconds * 1000 + 5000)]);
console.log(`${done} requests in ${((performance.now() - start) / 1000).toFixed(2)} s, ${late} late`);
process.exit(0);
