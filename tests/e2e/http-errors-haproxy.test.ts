// `http-errors` sections beside HAProxy 2.6 on the same haproxy.cfg: pages
// imported with `errorfiles NAME [codes]`, `http-error status N errorfiles
// NAME` and `http-request return|deny ... errorfiles NAME`, mixed with
// errorfile and http-error lines whose order decides (the later line wins),
// and a defaults' errorfile undone by `http-error ... default-errorfiles`.
// Compared: the status line, the fields (names lower-cased, Connection and
// Date aside) and the body of a 403 deny, a 503 with no server and a 502
// (a server that answers no HTTP), over HTTP/1.1 and over HTTP/2 (curl,
// prior knowledge).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Backend, freePort, tcpBackend, tempDir } from "./harness.ts";
import { httpDefaults } from "./http-defaults.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

/** A server that answers every request with bytes that are not HTTP: the proxy answers 502. */
let garbage: Backend;
beforeAll(async () => {
  garbage = await tcpBackend((s) => s.once("data", () => s.end("NOT HTTP AT ALL\r\n\r\n")));
});
afterAll(() => garbage.close());

/** A page whose reason phrase and body name where it came from. */
function page(dir: string, code: number, tag: string): string {
  const path = join(dir, `${tag}-${code}.http`);
  const body = `${tag} says ${code}\n`;
  writeFileSync(path, `HTTP/1.1 ${code} ${tag}\r\ncontent-type: text/plain\r\ncache-control: no-store\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
  return path;
}

function config(dir: string, port: number, h2: number, dead: number): string {
  return `
http-errors site
    errorfile 403 ${page(dir, 403, "site")}
    errorfile 502 ${page(dir, 502, "site")}
    errorfile 503 ${page(dir, 503, "site")}

http-errors other
    errorfile 503 ${page(dir, 503, "other")}

${httpDefaults({ retries: 0 })}    errorfile 502 ${page(dir, 502, "defaults")}

frontend fe
    bind 127.0.0.1:${port}
    bind 127.0.0.1:${h2} proto h2
    errorfile 503 ${page(dir, 503, "own")}
    errorfiles site
    errorfile 403 ${page(dir, 403, "own")}
    http-request return status 503 content-type text/plain errorfiles other hdr x-ignored 1 if { path /return }
    http-request deny errorfiles other if { path /deny-other }
    http-request deny if { path /deny }
    use_backend imports if { path_beg /imports }
    use_backend bad if { path /bad }
    use_backend reset if { path_beg /reset }
    default_backend none

backend none
    server s1 127.0.0.1:${dead}

backend imports
    errorfiles other 503
    http-error status 503 errorfiles site
    errorfiles other
    server s1 127.0.0.1:${dead}

backend bad
    server s1 127.0.0.1:${garbage.port}

backend reset
    http-error status 502 default-errorfiles
    use-server s1 if { path /reset/bad }
    server s1 127.0.0.1:${garbage.port}
`;
}

/** An answer as its status line, its fields (lower-cased, sorted; Connection and Date aside) and its body. */
function normalized(answer: string): string {
  const end = answer.indexOf("\r\n\r\n");
  const [status, ...fields] = answer.slice(0, end).split("\r\n");
  const kept = fields.map((f) => f.toLowerCase()).filter((f) => !f.startsWith("connection:") && !f.startsWith("date:")).sort();
  return [status!.trimEnd(), ...kept, "", answer.slice(end + 4)].join("|");
}

/** One HTTP/1.1 request, the whole answer (the connection closes after it). */
function http1(port: number, path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
  });
}

/** One HTTP/2 request with curl (prior knowledge), the answer as curl prints it: "HTTP/2 503", the fields, the body. */
function http2(port: number, path: string): string {
  const r = spawnSync("curl", ["-s", "-i", "--http2-prior-knowledge", "--max-time", "5", `http://127.0.0.1:${port}${path}`], { encoding: "latin1" });
  return r.stdout;
}

const PATHS = ["/deny", "/none", "/bad", "/return", "/deny-other", "/imports", "/reset/bad"];

describe("http-errors sections against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the pages of a 403 deny, a 503, a 502 and the replies, over HTTP/1.1 and HTTP/2`, async () => {
      const dir = tempDir();
      const [port, h2, dead] = [await freePort(), await freePort(), await freePort()];
      const running = await proxy.start(config(dir, port, h2, dead), [port, h2]);
      try {
        const answer: Record<string, string> = {};
        for (const path of PATHS) answer[`h1 ${path}`] = normalized(await http1(port, path));
        for (const path of PATHS) answer[`h2 ${path}`] = normalized(http2(h2, path));
        const page = (status: string, tag: string, code: number) =>
          `${status}|cache-control: no-store|content-length: ${tag.length + 10}|content-type: text/plain||${tag} says ${code}\n`;
        // The frontend's own errorfile 403 came after `errorfiles site`: it wins; site's 503 came after its own.
        expect(answer["h1 /deny"]).toBe(page("HTTP/1.1 403 own", "own", 403));
        expect(answer["h1 /none"]).toBe(page("HTTP/1.1 503 site", "site", 503));
        // The defaults' 502 came before the frontend's lines, but a backend's page wins over its frontend's.
        expect(answer["h1 /bad"]).toBe(page("HTTP/1.1 502 defaults", "defaults", 502));
        expect(answer["h1 /return"]).toBe(page("HTTP/1.1 503 other", "other", 503));
        // `other` has no 403: an empty reply of that status.
        expect(answer["h1 /deny-other"]).toBe("HTTP/1.1 403 Forbidden|content-length: 0||");
        expect(answer["h1 /imports"]).toBe(page("HTTP/1.1 503 other", "other", 503));
        // The backend undid its defaults' 502: the frontend's (site's) page.
        expect(answer["h1 /reset/bad"]).toBe(page("HTTP/1.1 502 site", "site", 502));
        expect(answer["h2 /none"]).toBe(page("HTTP/2 503", "site", 503));
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
