// Where relative file names are read from (schema-paths.ts): crt-base for
// certificates (bind and server crt, crt-list entries), ca-base for ca-file,
// default-path for every relative name of its file; both syntaxes. Each
// haproxy.cfg here is also checked by haproxy -c (which reads the same
// certificates), so both proxies find the same files.
import { beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { loadConfigFiles } from "../../../src/config/load.ts";
import { TestPki } from "../../support/certs.ts";

let root: string;
let cfgDir: string;

beforeAll(() => {
  const pki = new TestPki();
  const leaf = pki.leaf("site", { names: ["site.test"] });
  root = pki.dir;
  cfgDir = join(root, "etc", "haproxy");
  for (const d of ["certs", "ca", join("etc", "haproxy"), join("etc", "errors")]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(leaf.pem, join(root, "certs", "site.pem"));
  copyFileSync(pki.caFile, join(root, "ca", "ca.crt"));
  writeFileSync(join(root, "certs", "list.txt"), "site.pem site.test\n");
  writeFileSync(join(root, "etc", "errors", "503.http"), "HTTP/1.0 503 Service Unavailable\r\ncontent-type: text/plain\r\n\r\nbusy\n");
});

const TIMEOUTS = ["defaults", "    mode http", "    timeout connect 1s", "    timeout client 1s", "    timeout server 1s"];

function write(name: string, lines: string[]): string {
  const path = join(cfgDir, name);
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

/** sluice's result and haproxy -c's exit status on the same file (run from the repository, not the file's directory). */
function both(file: string) {
  const h = spawnSync("haproxy", ["-c", "-f", file], { encoding: "utf8" });
  return { sluice: loadConfigFiles([file]), haproxyOk: h.status === 0, haproxyOut: `${h.stdout}${h.stderr}` };
}

function proxy(global: string[], crt: string, extra: string[] = []): string[] {
  return ["global", ...global.map((l) => `    ${l}`), ...TIMEOUTS, "frontend fe", `    bind 127.0.0.1:8443 ssl crt ${crt}`, ...extra, "    default_backend be", "backend be",
    "    server s 127.0.0.1:9443 ssl ca-file ca.crt"];
}

describe("crt-base, ca-base, default-path", () => {
  test("absolute crt-base and ca-base: relative crt and ca-file are read under them; absolute ones ignore them", () => {
    const file = write("bases.cfg", proxy([`crt-base ${root}/certs`, `ca-base ${root}/ca`], "site.pem", [`    bind 127.0.0.1:8444 ssl crt ${root}/certs/site.pem`]));
    const r = both(file);
    expect(r.haproxyOk).toBe(true);
    expect(r.sluice.ok).toBe(true);
    if (!r.sluice.ok) return;
    const fe = r.sluice.config.frontends[0]!;
    expect(fe.binds.map((b) => b.ssl?.certificates.map((c) => c.file))).toEqual([[join(root, "certs", "site.pem")], [join(root, "certs", "site.pem")]]);
    expect(r.sluice.config.backends[0]!.servers[0]!.ssl?.ca).toContain("-----BEGIN CERTIFICATE-----");
  });

  test("the certificates a crt-list names are under crt-base too; the list itself is not", () => {
    const file = write("list.cfg", proxy([`crt-base ${root}/certs`, `ca-base ${root}/ca`], "site.pem").map((l) => l.replace("ssl crt site.pem", `ssl crt-list ${root}/certs/list.txt`)));
    const r = both(file);
    expect(r.haproxyOk).toBe(true);
    expect(r.sluice.ok && r.sluice.config.frontends[0]!.binds[0]!.ssl?.certificates.map((c) => c.file)).toEqual([join(root, "certs", "site.pem")]);
  });

  test("default-path origin DIR, parent, current: relative names (crt-base, errorfile) start there", () => {
    const origin = write("origin.cfg", proxy(["default-path origin " + root, "crt-base certs", "ca-base ca"], "site.pem", ["    errorfile 503 etc/errors/503.http"]));
    const parent = write("parent.cfg", proxy(["default-path parent", "crt-base ../certs", "ca-base ../ca"], "site.pem", ["    errorfile 503 errors/503.http"]));
    const fromCwd = relative(process.cwd(), root);
    const current = write("current.cfg", proxy(["default-path current", `crt-base ${fromCwd}/certs`, `ca-base ${fromCwd}/ca`], "site.pem", [`    errorfile 503 ${fromCwd}/etc/errors/503.http`]));
    for (const file of [origin, parent, current]) {
      const r = both(file);
      expect([file, r.haproxyOk]).toEqual([file, true]);
      expect([file, r.sluice.ok]).toEqual([file, true]);
      if (!r.sluice.ok) continue;
      expect(r.sluice.config.frontends[0]!.binds[0]!.ssl?.certificates[0]!.file).toBe(join(root, "certs", "site.pem"));
      expect(new TextDecoder().decode(r.sluice.config.frontends[0]!.errorFiles[503])).toContain("busy");
    }
  });

  test("without default-path, relative names start from the config file's directory (sluice's default, HAProxy's default-path config)", () => {
    const file = write("config.cfg", proxy(["crt-base ../../certs", "ca-base ../../ca"], "site.pem"));
    const r = loadConfigFiles([file]);
    expect(r.ok && r.config.frontends[0]!.binds[0]!.ssl?.certificates[0]!.file).toBe(join(root, "certs", "site.pem"));
    const withConfig = write("config2.cfg", ["global", "    default-path config", ...proxy(["crt-base ../../certs", "ca-base ../../ca"], "site.pem").slice(1)]);
    expect(both(withConfig).haproxyOk).toBe(true);
    expect(loadConfigFiles([withConfig]).ok).toBe(true);
  });

  test("YAML: the same keys", () => {
    const file = join(cfgDir, "bases.yaml");
    writeFileSync(file, [
      "global:",
      `  default-path: origin ${root}`,
      "  crt-base: certs",
      "  ca-base: ca",
      "defaults: { mode: http, timeout: { connect: 1s, client: 1s, server: 1s } }",
      "frontends:",
      "  fe: { bind: { address: '127.0.0.1:8443', ssl: true, crt: site.pem }, default_backend: be }",
      "backends:",
      "  be: { servers: [{ name: s, address: '127.0.0.1:9443', ssl: true, ca-file: ca.crt }] }",
      "",
    ].join("\n"));
    const r = loadConfigFiles([file]);
    expect(r.ok && r.config.frontends[0]!.binds[0]!.ssl?.certificates[0]!.file).toBe(join(root, "certs", "site.pem"));
  });

  test("errors", () => {
    const errors = (lines: string[]) => {
      const r = loadConfigFiles([write("bad.cfg", lines)]);
      return r.ok ? [] : r.errors.map((e) => e.message);
    };
    expect(errors(["global", "    default-path somewhere"])).toEqual([
      `${join(cfgDir, "bad.cfg")}:2: global: invalid default-path 'somewhere' (usage: default-path current|config|parent|origin <path>)`,
    ]);
    expect(errors(["global", "    default-path origin"])).toEqual([
      `${join(cfgDir, "bad.cfg")}:2: global: default-path origin needs one <path> (usage: default-path current|config|parent|origin <path>)`,
    ]);
    expect(errors(["global", "    crt-base"])).toEqual([`${join(cfgDir, "bad.cfg")}:2: global: missing argument for 'crt-base' (usage: crt-base <dir>)`]);
    expect(errors(["frontend fe", "    bind :80", "    ca-base /x"])[0]).toContain("ca-base");
  });
});
