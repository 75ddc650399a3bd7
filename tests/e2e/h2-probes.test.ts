// HTTP/2 clients that leave before a request, beside HAProxy 2.6 (`bind ...
// proto h2`): a connection closed with nothing sent, or within the 24-octet
// preface, or after bytes that are no preface, gets the connection's own log
// line (status 0, PR--, "<BADREQ>"); one closed after a whole preface (with or
// without its SETTINGS) gets none. `option http-ignore-probes` drops the line
// of the empty one only. None of them counts a request or a request error
// (show stat's req_tot and ereq), where an HTTP/1 probe counts both.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SETTINGS = "\x00\x00\x00\x04\x00\x00\x00\x00\x00";
const CASES: { name: string; bytes: string; logged: boolean; loggedIgnoringProbes: boolean }[] = [
  { name: "nothing", bytes: "", logged: true, loggedIgnoringProbes: false },
  { name: "the preface", bytes: PREFACE, logged: false, loggedIgnoringProbes: false },
  { name: "part of the preface", bytes: "PRI * HTT", logged: true, loggedIgnoringProbes: true },
  { name: "the preface and SETTINGS", bytes: PREFACE + SETTINGS, logged: false, loggedIgnoringProbes: false },
  { name: "an HTTP/1 request", bytes: "GET / HTTP/1.1\r\n\r\n", logged: true, loggedIgnoringProbes: true },
];

/** Connects, sends `bytes`, half-closes, waits for the close: the client's port. */
function probe(port: number, bytes: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    let local = 0;
    socket.on("connect", () => {
      local = socket.localPort ?? 0;
      if (bytes !== "") socket.write(Buffer.from(bytes, "latin1"));
      socket.end();
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.on("close", () => {
      clearTimeout(timer);
      local === 0 ? reject(new Error("no connection")) : resolve(local);
    });
  });
}

/** `show stat` over the stats socket: ereq and req_tot of a frontend. */
async function frontendCounts(sock: string, name: string): Promise<{ ereq: string; reqTot: string }> {
  const text = await new Promise<string>((resolve) => {
    const s = net.connect({ path: sock });
    let out = "";
    s.on("connect", () => s.write("show stat\n"));
    s.on("data", (d) => (out += d.toString()));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
  });
  const lines = text.split("\n");
  const header = lines[0]!.replace(/^# /, "").split(",");
  const row = lines.find((l) => l.startsWith(`${name},FRONTEND,`))!.split(",");
  return { ereq: row[header.indexOf("ereq")]!, reqTot: row[header.indexOf("req_tot")]! };
}

const config = (dir: string, plain: number, ignoring: number) => `global
    log stderr format raw local0
    stats socket ${dir}/api.sock level admin
defaults
    mode http
    log global
    option httplog
    timeout client 5s
    timeout server 1s
    timeout connect 1s
frontend plain
    bind 127.0.0.1:${plain} proto h2
    http-request return status 200
frontend ignoring
    option http-ignore-probes
    bind 127.0.0.1:${ignoring} proto h2
    http-request return status 200
`;

describe("HTTP/2 probes", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: which early closes are logged (PR--, status 0) and none counted`, async () => {
      const dir = tempDir();
      const [plain, ignoring] = [await freePort(), await freePort()];
      const running = await proxy.start(config(dir, plain, ignoring), [plain, ignoring]);
      try {
        // The readiness checks' connections are empty probes too: let their lines out first.
        await sleep(200);
        const seen: { frontend: string; name: string; port: number; logged: boolean }[] = [];
        for (const [frontend, port] of [["plain", plain], ["ignoring", ignoring]] as const) {
          for (const c of CASES) {
            seen.push({ frontend, name: c.name, port: await probe(port, c.bytes), logged: frontend === "plain" ? c.logged : c.loggedIgnoringProbes });
          }
        }
        // By the client's port and the frontend (a readiness check to the other frontend may have had the same port).
        const lineOf = (port: number, frontend: string) => running.errLines().find((l) => l.startsWith(`127.0.0.1:${port} [`) && l.includes(` ${frontend} ${frontend}/`));
        const last = seen.at(-1)!;
        await waitFor(() => lineOf(last.port, last.frontend) !== undefined, 5000, "the last probe's line");
        await sleep(100);
        const got = seen.map((s) => ({ frontend: s.frontend, name: s.name, logged: lineOf(s.port, s.frontend) !== undefined }));
        expect(got).toEqual(seen.map((s) => ({ frontend: s.frontend, name: s.name, logged: s.logged })));
        for (const s of seen.filter((x) => x.logged)) {
          expect(lineOf(s.port, s.frontend)).toMatch(new RegExp(` ${s.frontend} ${s.frontend}/<NOSRV> -1/-1/-1/-1/\\d+ 0 0 - - PR-- .* "<BADREQ>"$`));
        }
        for (const name of ["plain", "ignoring"]) {
          expect(await frontendCounts(join(dir, "api.sock"), name)).toEqual({ ereq: "0", reqTot: "0" });
        }
      } finally {
        await running.stop();
      }
    });
  }
});
