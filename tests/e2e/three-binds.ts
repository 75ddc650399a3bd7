// One frontend on the three ways a client reaches it (cleartext HTTP/2 with
// prior knowledge, TLS with ALPN h2 and http/1.1, plain HTTP/1.1), for the
// tests that compare what each protocol gives beside HAProxy: the test's own
// lines (rules, log-format) go into the frontend; its name is NAME.test,
// with a certificate of a throwaway PKI.
import { afterAll } from "bun:test";
import { rmSync } from "node:fs";
import { TestPki } from "../support/certs.ts";
import { freePort } from "./harness.ts";

export interface ThreeBinds {
  readonly h2c: number;
  readonly tls: number;
  readonly h1: number;
  /** The ports, as proxy.start waits for them. */
  readonly ports: number[];
  /** The haproxy.cfg: `log stderr` when `log`, then the frontend with `lines`. */
  config(lines: readonly string[], log?: boolean): string;
  /** curl's arguments for https://NAME.test:TLS/PATH, trusting the PKI and resolving the name to loopback. */
  https(path: string): string[];
}

/** Call at a test file's top level (the PKI is removed after the file). */
export function threeBindsPki(name: string): { caFile: string; pem: string } {
  const pki = new TestPki();
  const leaf = pki.leaf(name, { names: [`${name}.test`] });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));
  return { caFile: pki.caFile, pem: leaf.pem };
}

export async function threeBinds(name: string, pki: { caFile: string; pem: string }): Promise<ThreeBinds> {
  const [h2c, tls, h1] = [await freePort(), await freePort(), await freePort()];
  return {
    h2c,
    tls,
    h1,
    ports: [h2c, tls, h1],
    config: (lines, log = false) =>
      [
        ...(log ? ["global", "    log stderr format raw local0"] : []),
        "defaults",
        "    mode http",
        ...(log ? ["    log global"] : []),
        "    timeout connect 1s",
        "    timeout client 5s",
        "    timeout server 5s",
        "frontend fe",
        `    bind 127.0.0.1:${h2c} proto h2`,
        `    bind 127.0.0.1:${tls} ssl crt ${pki.pem} alpn h2,http/1.1`,
        `    bind 127.0.0.1:${h1}`,
        ...lines.map((l) => `    ${l}`),
        "",
      ].join("\n"),
    https: (path) => ["--cacert", pki.caFile, "--resolve", `${name}.test:${tls}:127.0.0.1`, `https://${name}.test:${tls}${path}`],
  };
}
