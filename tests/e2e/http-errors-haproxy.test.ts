// `http-errors` sections beside HAProxy 2.6 on the same haproxy.cfg: pages
// imported with `errorfiles NAME [codes]`, `http-error status N errorfiles
// NAME` and `http-request return|deny ... errorfiles NAME`, mixed with
// errorfile and http-error lines whose order decides (the later line wins),
// a defaults' errorfile undone by `http-error ... default-errorfiles`, and
// http-error pages with log-format parts (lf-string, a `hdr` value with
// `%`) built per transaction (an `auth` challenge's 401 too). A request that cannot be read gets the built-in
// 400 page in both, the frontend's `errorfile 400` notwithstanding.
// Compared: the status line, the fields (names lower-cased, Connection and
// Date aside) and the body of a 403 deny, a 503 with no server and a 502
// (a server that answers no HTTP), over HTTP/1.1 and over HTTP/2 (curl,
// prior knowledge).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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
    errorfile 400 ${page(dir, 400, "own")}
    http-error status 404 content-type text/plain lf-string "no %[path] here (%[req.hdr(host)], 100%% sure)" hdr x-path "%[path]" hdr x-fixed yes
    http-request deny deny_status 404 if { path /missing }
    http-error status 401 content-type text/plain lf-string "who are you at %[path]?" hdr x-p "%[path]"
    http-request auth realm R if { path /auth }
    http-request return status 503 content-type text/plain errorfiles other hdr x-ignored 1 if { path /return }
    http-request deny errorfiles other if { path /deny-other }
    http-request deny if { path /deny }
    use_backend imports if { path_beg /imports }
    use_backend bad if { path /bad }
    use_backend reset if { path_beg /reset }
    use_backend formats if { path_beg /lf }
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

backend formats
    http-error status 503 content-type text/plain lf-string "%[path] has no server" hdr x-host "%[req.hdr(host)]"
    server s1 127.0.0.1:${dead}

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
async function http2(port: number, path: string): Promise<string> {
  // Not spawnSync: the server that answers garbage runs in this process and must be free to answer.
  const curl = Bun.spawn(["curl", "-s", "-i", "--http2-prior-knowledge", "--max-time", "5", `http://127.0.0.1:${port}${path}`], { stdout: "pipe", stderr: "ignore" });
  const out = Buffer.from(await new Response(curl.stdout).arrayBuffer()).toString("latin1");
  await curl.exited;
  return out;
}

const PATHS = ["/deny", "/none", "/bad", "/return", "/deny-other", "/imports", "/reset/bad", "/missing", "/lf/x", "/auth"];

/** A request line the proxy cannot read: answered before any rule, with the built-in page. */
function badRequest(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write("GET /bad\x01 HTTP/1.1\r\nhost: x\r\n\r\n");
  });
}

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
        // The Host an HTTP/2 request carries is curl's :authority, with this run's port.
        for (const path of PATHS) answer[`h2 ${path}`] = normalized(await http2(h2, path)).replaceAll(`127.0.0.1:${h2}`, "127.0.0.1:PORT");
        answer["h1 bad request"] = normalized(await badRequest(port));
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
        expect(answer["h1 /missing"]).toBe("HTTP/1.1 404 Not Found|content-length: 31|content-type: text/plain|x-fixed: yes|x-path: /missing||no /missing here (x, 100% sure)");
        expect(answer["h2 /lf/x"]).toBe("HTTP/2 503|content-length: 19|content-type: text/plain|x-host: 127.0.0.1:PORT||/lf/x has no server");
        expect(answer["h2 /bad"]).toBe(page("HTTP/2 502", "defaults", 502));
        expect(answer["h1 /auth"]).toBe('HTTP/1.1 401 Unauthorized|content-length: 21|content-type: text/plain|www-authenticate: basic realm="r"|x-p: /auth||who are you at /auth?');
        expect(answer["h1 bad request"]).toStartWith("HTTP/1.1 400 Bad request|cache-control: no-cache|content-length: 90|content-type: text/html||");
        expectSameAsHaproxy(answers, proxy.name, answer);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
