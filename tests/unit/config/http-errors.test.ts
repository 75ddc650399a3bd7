// `http-errors` sections and `errorfiles`: the pages a proxy ends with when
// errorfile, errorloc, errorfiles and http-error lines of its defaults and its
// own are applied in the order written (measured on HAProxy 2.6.12), and the
// errors and warnings HAProxy gives for them.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-http-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A page named after its status and tag, whose body is the tag. */
function page(code: number, tag: string): string {
  const path = join(dir, `${tag}${code}.http`);
  writeFileSync(path, `HTTP/1.1 ${code} ${tag}\r\ncontent-length: ${tag.length}\r\n\r\n${tag}`);
  return path;
}
const cfg = (...l: string[]) => ({ name: join(dir, "sluice.cfg"), text: lines(...l) });
const at = (line: number) => `${join(dir, "sluice.cfg")}:${line}`;
/** The tag (the reason phrase) of each page of a proxy. */
function tags(files: Readonly<Record<number, Uint8Array>>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [code, bytes] of Object.entries(files)) out[Number(code)] = Buffer.from(bytes).toString("latin1").split("\r\n")[0]!.split(" ")[2]!;
  return out;
}

describe("http-errors sections and errorfiles", () => {
  test("errorfiles imports all of a section, or the codes listed; the later line for a status wins, whatever its keyword", () => {
    const c = loadOk(cfg(
      "http-errors site",
      `    errorfile 503 ${page(503, "S")}`,
      `    errorfile 403 ${page(403, "S")}`,
      `    errorfile 404 ${page(404, "S")}`,
      "frontend fe",
      "    bind :80",
      `    errorfile 503 ${page(503, "A")}`,
      "    errorfiles site",
      `    errorfile 403 ${page(403, "A")}`,
      "backend be",
      "    errorfiles site 404",
      "    http-error status 404 content-type text/plain string mine",
      "    errorfiles later 502",
      "http-errors later",
      `    errorfile 502 ${page(502, "L")}`,
    ));
    expect(tags(c.frontends[0]!.errorFiles)).toEqual({ 403: "A", 404: "S", 503: "S" });
    expect(tags(c.backends[0]!.errorFiles)).toEqual({ 404: "Not", 502: "L" });
  });

  test("a proxy's http-error default-errorfiles undoes its defaults' errorfile; http-error errorfiles NAME imports one code", () => {
    const c = loadOk(cfg(
      "http-errors site",
      `    errorfile 503 ${page(503, "S")}`,
      "defaults",
      "    mode http",
      `    errorfile 404 ${page(404, "D")}`,
      `    errorfile 502 ${page(502, "D")}`,
      "backend be",
      "    http-error status 404 default-errorfiles",
      "    http-error status 503 errorfiles site",
    ));
    expect(tags(c.backends[0]!.errorFiles)).toEqual({ 502: "D", 503: "S" });
  });

  test("errors and warnings as HAProxy gives them, at the line", () => {
    const good = page(503, "G");
    expect(errorsOf(cfg(
      "http-errors site",
      `    errorfile 999 ${good}`,
      `    errorloc 503 /x`,
      "http-errors site",
      "frontend fe",
      "    bind :80",
      "    errorfiles site abc",
      "    http-error status 503 errorfiles site errorfile x.http",
    ))).toEqual([
      `${at(2)}: http-errors 'site': errorfile: status '999' is not supported (expected one of: 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)`,
      `${at(3)}: http-errors 'site': unknown keyword 'errorloc' in an 'http-errors' section (expected errorfile)`,
      `${at(4)}: http-errors 'site': duplicate name (http-errors 'site' is already defined at ${at(1)})`,
      `${at(7)}: frontend 'fe': errorfiles site: status code 'abc' not handled (expected one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)`,
      `${at(8)}: frontend 'fe': http-error: unexpected 'errorfile' argument, 'errorfiles' already defined`,
    ]);
    // A section named nowhere, from a proxy or from the defaults it applies (said once, at the defaults' line).
    expect(errorsOf(cfg("defaults", "    errorfiles gone", "backend a", "backend b", "frontend fe", "    bind :80", "    errorfiles nope"))).toEqual([
      `${at(2)}: defaults: unknown http-errors section 'gone'`,
      `${at(7)}: frontend 'fe': unknown http-errors section 'nope'`,
    ]);
    expect(warningsOf(cfg(
      "http-errors site",
      `    errorfile 503 ${good}`,
      "backend be",
      "    errorfiles site 503 404",
    ))).toContain(`${at(4)}: backend 'be': status '404' not declared in http-errors section 'site' (the proxy's own answer stays)`);
  });

  test("a rule's reply warns where HAProxy 2.6.12 warns: a status the section lacks, a content-type or hdr an errorfile ignores", () => {
    const warnings = warningsOf(cfg(
      "http-errors site",
      `    errorfile 503 ${page(503, "W")}`,
      "frontend fe",
      "    bind :80",
      "    http-request return status 502 errorfiles site if { path /a }",
      "    http-request return status 503 content-type text/plain errorfiles site hdr x-a 1 if { path /b }",
    ));
    expect(warnings).toEqual(expect.arrayContaining([
      `${at(5)}: frontend 'fe': http-request: 'return': status '502' is not declared in http-errors section 'site'`,
      `${at(6)}: frontend 'fe': http-request: 'return': content-type 'text/plain' is ignored with an errorfile`,
      `${at(6)}: frontend 'fe': http-request: 'return': 'hdr' arguments are ignored with an errorfile`,
    ]));
  });

  test("a rule's errorfile is checked as the configuration's errorfiles; a payload file larger than a buffer is refused (HAProxy 2.6.12)", () => {
    const length = join(dir, "rule-length.http");
    writeFileSync(length, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nabc");
    const big = join(dir, "rule-big.txt");
    writeFileSync(big, "x".repeat(20000));
    expect(errorsOf(cfg(
      "backend be",
      `    http-request return errorfile ${length}`,
      `    http-response return status 200 content-type text/plain file ${big}`,
    ))).toEqual([
      `${at(2)}: backend 'be': http-request: 'return' 'errorfile': '${length}': payload size does not match the announced content-length (3 != 5)`,
      `${at(3)}: backend 'be': http-response: 'return' 'file': file '${big}' exceeds the buffer size (20000 > 16384)`,
    ]);
  });

  test("http-error pages with log-format parts: compiled with the proxy, a bad fetch named at the line; a payload file larger than a buffer refused", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode http",
      '    http-error status 502 content-type text/plain lf-string "bad gateway for %[path]"',
      "backend be",
      '    http-error status 503 content-type text/plain string down hdr x-path "%[path]"',
    ));
    expect(Object.keys(c.backends[0]!.errorFormats ?? {})).toEqual(["502", "503"]);
    expect(c.backends[0]!.errorFormats?.[503]?.build).toBeFunction();
    expect(errorsOf(cfg("backend be", '    http-error status 503 content-type text/plain lf-string "%[nope]"'))[0]).toStartWith(
      `${at(2)}: backend 'be': http-error status 503: `,
    );
    const big = join(dir, "big.txt");
    writeFileSync(big, "x".repeat(16385));
    expect(errorsOf(cfg("backend be", `    http-error status 503 content-type text/plain file ${big}`))).toEqual([
      `${at(2)}: backend 'be': http-error status 503: file '${big}' exceeds the buffer size (16385 > 16384)`,
    ]);
  });

  test("a page HAProxy cannot hold in a buffer, a content-length that is not the body's, a chunked page are refused", () => {
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    // Measured on 2.6.12: with tune.bufsize 16384, a 16279-byte body fits under "HTTP/1.1 503 B" and no field; 16280 does not.
    const fits = file("fits.http", `HTTP/1.1 503 B\r\n\r\n${"x".repeat(16279)}`);
    const over = file("over.http", `HTTP/1.1 503 B\r\n\r\n${"x".repeat(16280)}`);
    loadOk(cfg("http-errors s", `    errorfile 503 ${fits}`));
    expect(errorsOf(cfg("http-errors s", `    errorfile 503 ${over}`))[0]).toContain("too large: HAProxy holds an error page in one buffer (tune.bufsize 16384)");
    // A smaller buffer set in global before: 8087 bytes fit (2.6.12 with tune.bufsize 8192).
    const small = file("small.http", `HTTP/1.1 503 B\r\n\r\n${"x".repeat(8088)}`);
    expect(errorsOf(cfg("global", "    tune.bufsize 8192", "backend b", `    errorfile 503 ${small}`))[0]).toContain("take 8100 bytes there, 8099 fit");
    const length = file("length.http", "HTTP/1.1 503 B\r\ncontent-length: 5\r\n\r\nabc");
    const chunked = file("chunked.http", "HTTP/1.1 503 B\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n");
    expect(errorsOf(cfg("backend b", `    errorfile 503 ${length}`, `    errorfile 502 ${chunked}`))).toEqual([
      `${at(2)}: backend 'b': errorfile 503 '${length}': payload size does not match the announced content-length (3 != 5)`,
      `${at(3)}: backend 'b': errorfile 502 '${chunked}': chunk-encoded payload not supported (give the body as it is, with a content-length or none)`,
    ]);
  });
});
