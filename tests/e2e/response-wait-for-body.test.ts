// http-response wait-for-body and res.body, res.body_len, res.body_size
// beside HAProxy 2.6: the response rules pause until the server's body came
// (a length, chunked, a deny on its content), and a body that does not come
// in time is a 504 logged sR with no server response time.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net, { type AddressInfo } from "node:net";
import { freePort, sleep, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** A server that sends its answers' bodies in two parts 300 ms apart (or never the second). */
let server: net.Server;
let serverPort = 0;

beforeAll(async () => {
  server = net.createServer((socket) => {
    let text = "";
    socket.on("error", () => {});
    socket.on("data", async (d) => {
      text += d.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      const path = text.split(" ")[1];
      text = "";
      const [first, rest] = path === "/chunked"
        ? ["HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n", "6\r\n world\r\n0\r\n\r\n"]
        : path === "/evil"
        ? ["HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nsome ", "evil.\n"]
        : ["HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\nuser=admin", "&x=1234567"];
      socket.write(first);
      if (path === "/never") return;
      await sleep(300);
      if (!socket.destroyed) socket.write(rest);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  serverPort = (server.address() as AddressInfo).port;
});
afterAll(() => server?.close());

describe("http-response wait-for-body against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the rules see the whole body (length, chunked), deny on it, 504 sR past the wait`, async () => {
      const port = await freePort();
      const running = await proxy.start(`global
    log stderr format raw local0
defaults
    mode http
    log global
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    log-format "R %ST %tsc %Tr len=%[var(txn.len)] size=%[var(txn.size)] body=%[var(txn.body)]"
    default_backend be
backend be
    http-response wait-for-body time 1s
    http-response set-var(txn.len) res.body_len
    http-response set-var(txn.size) res.body_size
    http-response set-var(txn.body) res.body
    http-response set-header x-len %[res.body_len]
    http-response deny if { res.body -m sub evil }
    server s 127.0.0.1:${serverPort}
`, [port]);
      try {
        const seen: Record<string, string> = {};
        for (const path of ["/late", "/chunked", "/evil", "/never"]) {
          const r = await fetch(`http://127.0.0.1:${port}${path}`);
          seen[path] = `${r.status} x-len=${r.headers.get("x-len")} ${(await r.text()).split("\n")[0]}`;
        }
        expect(seen).toEqual({
          "/late": "200 x-len=20 user=admin&x=1234567",
          "/chunked": "200 x-len=11 hello world",
          "/evil": "502 x-len=null <html><body><h1>502 Bad Gateway</h1>",
          "/never": "504 x-len=null <html><body><h1>504 Gateway Time-out</h1>",
        });
        const lines = () => running.errLines().filter((l) => l.startsWith("R ") && !l.startsWith("R 400 "));
        await waitFor(() => lines().length >= 4, 5000, "four log lines");
        // %Tr: the server's head came at once (0 to a few ms), or -1 for an answer replaced (deny, 504).
        const logged = lines().map((l) => l.replace(/^(R \d+ \S+) \d+ /, "$1 n "));
        expect(logged).toEqual([
          "R 200 ---- n len=20 size=20 body=user=admin&x=1234567",
          "R 200 ---- n len=11 size=11 body=hello world",
          "R 502 PH-- -1 len=11 size=11 body=some evil.",
          "R 504 sR-- -1 len=- size=- body=-",
        ]);
        expectSameAsHaproxy(answers, proxy.name, { seen, logged });
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
