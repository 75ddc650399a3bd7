import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERRORFILE_CODES, normalizeResponse } from "../../../src/config/errorfile.ts";
import { loadConfigFiles } from "../../../src/config/load.ts";
import { errorsOf, lines, loadOk, withoutOrigins } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-errorfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "errors"));

const bytes = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? bytes(content) : content);
  return path;
}

const PAGE_503 =
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 11\r\n\r\nbusy, sorry";
file("errors/503.http", PAGE_503);
file("errors/404.http", "HTTP/1.0 404 Not Found\nContent-Length: 5\n\nnope\n");
file("errors/500.http", "HTTP/1.1 500 Oops\r\n\r\n");

/** A config named as if it were in `dir`, so relative errorfiles resolve there. */
const cfg = (...l: string[]) => ({ name: join(dir, "sluice.cfg"), text: lines(...l) });
const yaml = (...l: string[]) => ({ name: join(dir, "sluice.yaml"), text: lines(...l) });
const at = (line: number, col?: number) =>
  `${join(dir, col === undefined ? "sluice.cfg" : "sluice.yaml")}:${line}${
    col === undefined ? "" : `:${col}`
  }`;

describe("errorfile", () => {
  test("read at load, relative to the config file's directory; CRLF files are kept as they are", () => {
    const c = loadOk(cfg(
      "frontend web",
      "    bind :80",
      "    errorfile 503 errors/503.http",
    ));
    expect(c.frontends[0]!.errorFiles).toEqual({ 503: bytes(PAGE_503) });
    expect(c.frontends[0]!.errorFiles[503]).toBeInstanceOf(Uint8Array);
  });

  test("bare LF line endings in the head become CRLF; the body is kept byte for byte", () => {
    const c = loadOk(cfg("backend b", "    errorfile 404 errors/404.http"));
    expect(Buffer.from(c.backends[0]!.errorFiles[404]!).toString("latin1")).toBe(
      "HTTP/1.0 404 Not Found\r\nContent-Length: 5\r\n\r\nnope\n",
    );
  });

  test("an empty file (/dev/null) is HAProxy's silent answer: kept empty, nothing is sent", () => {
    const c = loadOk(cfg("backend b", "    errorfile 403 /dev/null"));
    expect(c.backends[0]!.errorFiles[403]).toEqual(new Uint8Array(0));
  });

  test("binary bodies and mixed line endings", () => {
    const body = new Uint8Array([0, 255, 13, 10, 10, 128]);
    const head = bytes("HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 6\r\n\n");
    const r = normalizeResponse(200, new Uint8Array([...head, ...body]));
    expect(r).toEqual({
      ok: true,
      response: new Uint8Array([
        ...bytes("HTTP/1.1 200 OK\r\nX-A: 1\r\nContent-Length: 6\r\n\r\n"),
        ...body,
      ]),
    });
  });

  test("an absolute path is used as is, whatever the config file's directory", () => {
    const c = loadOk({
      name: "/nowhere/sluice.cfg",
      text: lines("backend b", `    errorfile 500 ${join(dir, "errors/500.http")}`),
    });
    expect(c.backends[0]!.errorFiles).toEqual({ 500: bytes("HTTP/1.1 500 Oops\r\n\r\n") });
  });

  test("loadConfigFiles: the directory of the file on disk, not the working directory", () => {
    const sub = join(dir, "conf");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, "x.cfg"), lines("backend b", "    errorfile 503 ../errors/503.http"));
    const r = loadConfigFiles([join(sub, "x.cfg")]);
    expect(r.ok && r.config.backends[0]!.errorFiles[503]).toEqual(bytes(PAGE_503));
  });

  test("defaults apply code by code; a section's own win; a later line replaces an earlier one", () => {
    const c = loadOk(cfg(
      "defaults",
      "    errorfile 503 errors/503.http",
      "    errorfile 404 errors/404.http",
      "frontend web",
      "    bind :80",
      "    default_backend app",
      "    errorfile 404 errors/500.http",
      "    errorfile 500 errors/503.http",
      "    errorfile 500 errors/500.http",
      "backend app",
      "    server a 127.0.0.1:1",
      "listen l :81",
      "    server s 127.0.0.1:1",
    ));
    const page = (name: string) =>
      loadOk(cfg("backend x", `    errorfile 200 errors/${name}`))
        .backends[0]!.errorFiles[200];
    expect(c.frontends[0]!.errorFiles).toEqual({
      503: page("503.http")!,
      404: page("500.http")!,
      500: page("500.http")!,
    });
    const inherited = { 503: page("503.http")!, 404: page("404.http")! };
    expect(c.backends.map((b) => b.errorFiles)).toEqual([inherited, inherited]);
    expect(c.frontends[1]!.errorFiles).toEqual(inherited);
  });

  test("none configured: an empty mapping", () => {
    const c = loadOk(cfg("backend b"));
    expect(c.backends[0]!.errorFiles).toEqual({});
  });

  test("cfg and YAML twins", () => {
    const fromCfg = loadOk(cfg(
      "defaults",
      "    errorfile 503 errors/503.http",
      "backend b",
      "    errorfile 404 errors/404.http",
    ));
    const fromYaml = loadOk(yaml(
      "defaults:",
      "  errorfile: { 503: errors/503.http }",
      "backends:",
      "  b:",
      "    errorfile:",
      "      '404': errors/404.http",
    ));
    expect(withoutOrigins(fromYaml)).toStrictEqual(withoutOrigins(fromCfg));
  });

  const CODES = ERRORFILE_CODES.join(", ");
  test.each([
    [
      "a missing file",
      ["frontend f", "    bind :80", "    errorfile 503 errors/missing.http"],
      `${at(3)}: frontend 'f': errorfile 503 'errors/missing.http': cannot read it (ENOENT)`,
    ],
    [
      "a directory",
      ["defaults", "    errorfile 503 errors"],
      `${at(2)}: defaults: errorfile 503 'errors': cannot read it (EISDIR)`,
    ],
    [
      "not an HTTP response",
      ["backend b", "    errorfile 503 html.html"],
      `${
        at(2)
      }: backend 'b': errorfile 503 'html.html': not an HTTP response (it must start with a status line such as "HTTP/1.1 503 Service Unavailable")`,
    ],
    [
      "another HTTP version",
      ["backend b", "    errorfile 429 h2.http"],
      `${
        at(2)
      }: backend 'b': errorfile 429 'h2.http': not an HTTP response (it must start with a status line such as "HTTP/1.1 429 Too Many Requests")`,
    ],
    [
      "a status line without a status",
      ["backend b", "    errorfile 403 nostatus.http"],
      `${
        at(2)
      }: backend 'b': errorfile 403 'nostatus.http': not an HTTP response (it must start with a status line such as "HTTP/1.1 403 Forbidden")`,
    ],
    [
      "headers that never end",
      ["listen l :80", "    errorfile 504 noend.http"],
      `${
        at(2)
      }: listen 'l': errorfile 504 'noend.http': not an HTTP response (its headers must end with an empty line)`,
    ],
    [
      "a status errorfile cannot replace",
      ["defaults", "    errorfile 418 errors/503.http"],
      `${at(2)}: defaults: errorfile: status '418' is not supported (expected one of: ${CODES})`,
    ],
    [
      "not a status",
      ["defaults", "    errorfile 5xx errors/503.http"],
      `${at(2)}: defaults: errorfile: status '5xx' is not supported (expected one of: ${CODES})`,
    ],
    [
      "missing file name",
      ["defaults", "    errorfile 503"],
      `${at(2)}: defaults: missing argument for 'errorfile' (usage: errorfile <code> <file>)`,
    ],
    [
      "in global",
      ["global", "    errorfile 503 errors/503.http"],
      `${at(2)}: global: 'errorfile' is not allowed in a global section`,
    ],
  ])("%s", (_, text, message) => {
    file("html.html", "<html>busy</html>\n\n");
    file("h2.http", "HTTP/2 429 Too Many Requests\r\n\r\n");
    file("nostatus.http", "HTTP/1.1 \r\n\r\n");
    file("empty.http", "");
    file("noend.http", "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\n");
    expect(errorsOf(cfg(...text))).toEqual([message]);
  });

  test("every errorfile problem of a section is reported", () => {
    expect(errorsOf(cfg(
      "backend b",
      "    errorfile 503 errors/missing.http",
      "    errorfile 999 errors/503.http",
      "    errorfile 404 errors/also-missing.http",
    ))).toEqual([
      `${at(3)}: backend 'b': errorfile: status '999' is not supported (expected one of: ${CODES})`,
    ]);
    expect(errorsOf(cfg(
      "backend b",
      "    errorfile 503 errors/missing.http",
      "    errorfile 404 errors/also-missing.http",
    ))).toEqual([
      `${at(2)}: backend 'b': errorfile 503 'errors/missing.http': cannot read it (ENOENT)`,
      `${at(3)}: backend 'b': errorfile 404 'errors/also-missing.http': cannot read it (ENOENT)`,
    ]);
  });

  test.each([
    [
      "YAML: a file that cannot be read, at its value",
      ["backends:", "  b:", "    errorfile: { 503: nope.http }"],
      `${at(3, 23)}: backend 'b': errorfile 503 'nope.http': cannot read it (ENOENT)`,
    ],
    [
      "YAML: a file name that is not a string",
      ["backends:", "  b:", "    errorfile: { 503: [a] }"],
      `${at(3, 23)}: backend 'b': errorfile 503: invalid file a list (expected a file name)`,
    ],
    [
      "YAML: not a mapping",
      ["defaults:", "  errorfile: errors/503.http"],
      `${
        at(2, 14)
      }: defaults: invalid errorfile 'errors/503.http' (expected a mapping of status codes to files)`,
    ],
  ])("%s", (_, text, message) => {
    expect(errorsOf(yaml(...text))).toEqual([message]);
  });
});
