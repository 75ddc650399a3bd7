// What the corpus files need to be checked on any machine: the certificates,
// error files and addresses they name, given as stand-ins. The files under
// configs/ stay as their sources wrote them (SOURCES.md); `prepare` copies
// them into a temporary directory, applies the rewrites listed here (every
// one of them is in this table, and SOURCES.md names them), and writes the
// stand-in files beside them. Both proxies then read the same prepared file
// from that directory, with the same environment.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { TestPki } from "../support/certs.ts";

export const CORPUS_DIR = resolve(import.meta.dir, "configs");

export interface StandIn {
  /** Literal or pattern replacements, applied in order to the file's text. */
  rewrites?: [from: string | RegExp, to: string][];
  /** Environment variables the file reads (`${VAR}`). */
  env?: Record<string, string>;
  /** Why a file that names missing things has no stand-in (HAProxy 2.6 refuses it for another reason). */
  none?: string;
}

/** Error files in HAProxy's layout (a whole HTTP/1.0 response), as Debian ships them. */
function errorFile(code: number, reason: string): string {
  return `HTTP/1.0 ${code} ${reason}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>${code} ${reason}</h1>\nstand-in error page.\n</body></html>\n`;
}
const ERROR_FILES: [number, string][] = [
  [400, "Bad request"],
  [403, "Forbidden"],
  [408, "Request Time-out"],
  [500, "Internal Server Error"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Gateway Time-out"],
];

export const STAND_INS: Record<string, StandIn> = {
  // Debian's own error pages live in /etc/haproxy/errors on a Debian host only.
  "debian-haproxy.cfg": { rewrites: [["/etc/haproxy/errors/", "standins/errors/"]] },
  "haproxy-example-ssl.cfg": {
    rewrites: [["/etc/cert/server.pem", "standins/server.pem"], ["/etc/cert/certdir/", "standins/certdir/"]],
  },
  // `crt pub1.pem` is relative to the file (default-path config): the stand-in is written beside it.
  "haproxy-example-basic-config-edge.cfg": {},
  // Host names of the authors' networks, which resolve nowhere else.
  "bitnami-haproxy-frontend-example.cfg": { rewrites: [["service:8080", "127.0.0.1:8080"]] },
  "okd-upi-external-lb.cfg": { rewrites: [[/[a-z0-9-]+\.cluster\.example\.com/g, "127.0.0.1"]] },
  // The document's placeholders, as its reader fills them in.
  "kubeadm-ha-apiserver.cfg": {
    env: { APISERVER_DEST_PORT: "6443", APISERVER_SRC_PORT: "16443", HOST1_ID: "cp1", HOST1_ADDRESS: "127.0.0.1" },
  },
  "crowdsec-spoa-bouncer.cfg": { none: "HAProxy 2.6 has no `lf-file` (3.x): its SPOE file and pages are not stood in" },
};

export interface PreparedFile {
  name: string;
  /** The prepared copy to check. */
  path: string;
  env: Record<string, string>;
}

function applyRewrites(text: string, rewrites: StandIn["rewrites"] = []): string {
  let out = text;
  for (const [from, to] of rewrites) {
    const next = typeof from === "string" ? out.split(from).join(to) : out.replace(from, to);
    if (next === out) throw new Error(`stand-in rewrite '${String(from)}' matches nothing`);
    out = next;
  }
  return out;
}

/** Copies every corpus file into `dir` with its rewrites, and writes the stand-ins it needs. */
export function prepareCorpus(dir: string): PreparedFile[] {
  const standins = join(dir, "standins");
  mkdirSync(join(standins, "errors"), { recursive: true });
  mkdirSync(join(standins, "certdir"), { recursive: true });
  for (const [code, reason] of ERROR_FILES) writeFileSync(join(standins, "errors", `${code}.http`), errorFile(code, reason));
  const pki = new TestPki(join(dir, "pki"));
  const copy = (from: string, to: string) => writeFileSync(to, readFileSync(from));
  copy(pki.leaf("server", { names: ["localhost"] }).pem, join(standins, "server.pem"));
  copy(pki.leaf("sni", { names: ["sni.example.com"] }).pem, join(standins, "certdir", "sni.pem"));
  copy(pki.leaf("pub1", { names: ["www.example.com"] }).pem, join(dir, "pub1.pem"));

  const names = readdirSync(CORPUS_DIR).filter((n) => n.endsWith(".cfg")).sort();
  for (const name of Object.keys(STAND_INS)) {
    if (!names.includes(name)) throw new Error(`stand-ins name '${name}', which is not in the corpus`);
  }
  return names.map((name) => {
    const standIn = STAND_INS[name] ?? {};
    const path = join(dir, name);
    writeFileSync(path, applyRewrites(readFileSync(join(CORPUS_DIR, name), "utf8"), standIn.rewrites));
    return { name, path, env: standIn.env ?? {} };
  });
}
