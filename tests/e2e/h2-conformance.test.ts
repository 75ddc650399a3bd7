// HTTP/2 conformance of a server-side mux, h2spec style: every case of the
// table (tests/e2e/h2conf/cases*.ts, written after RFC 9113's and RFC 7541's
// MUSTs) runs against each target over a real TCP connection with a raw
// client that can misbehave (tests/support/h2-raw-client.ts). Targets:
// HAProxy 2.6 and nghttpx as references (each known deviation of theirs is
// in the table with the RFC's reason, and what they do instead is checked,
// so a fixed reference shows), and sluice under Bun, Deno and the binary,
// which must pass every case as the RFC says. H2CONF_TARGETS picks targets
// (haproxy,nghttpx,bun,deno,binary); by default the references and the
// sluice targets of SLUICE_TARGETS. A sluice target runs only when its
// configuration (`bind … proto h2`) loads: a build that cannot speak HTTP/2
// to clients is reported on stderr, not run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { H2RawClient } from "../support/h2-raw-client.ts";
import { type Case, type CaseContext, describeExpect, verify } from "./h2conf/case.ts";
import { CASES } from "./h2conf/cases.ts";
import { chosenTargets, type ConformanceBackend, type RunningTarget, startBackend, type TargetSpec } from "./h2conf/targets.ts";

const CASE_TIMEOUT = 20000;

let backend: ConformanceBackend;
beforeAll(async () => {
  backend = await startBackend();
});
afterAll(async () => {
  await backend?.close();
});

describe("the h2 conformance case table", () => {
  test("has at least 80 cases with unique ids, each citing the RFC and saying what it sends", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    for (const c of CASES) {
      expect(c.id).toMatch(/^(\d+(\.\d+)*|hpack)\/\d+$/);
      expect(c.rfc).toMatch(/^(§\d|RFC \d{4} §\d)/);
      expect(c.sends.length).toBeGreaterThan(5);
      for (const d of Object.values(c.known ?? {})) expect(d!.why.length).toBeGreaterThan(20);
    }
  });
});

function context(target: string, c: Case): CaseContext {
  const path = `/h2conf/${target}/${encodeURIComponent(c.id)}`;
  const authority = "localhost";
  return {
    path,
    authority,
    backend,
    get: (extra = []) => [[":method", "GET"], [":scheme", "http"], [":path", path], [":authority", authority], ...extra],
    post: (extra = []) => [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", authority], ...extra],
  };
}

async function runCase(spec: TargetSpec, port: number, c: Case): Promise<void> {
  const deviation = spec.reference ? c.known?.[spec.name as "haproxy" | "nghttpx"] : undefined;
  const client = await H2RawClient.connect(port);
  try {
    const from = c.handshake === false ? 0 : await client.handshake();
    const ctx = context(spec.name, c);
    await c.run(client, ctx);
    const wanted = deviation?.observed ?? (typeof c.expect === "function" ? c.expect(client) : c.expect);
    await verify(client, wanted, from, ctx);
  } finally {
    client.close();
  }
}

function title(spec: TargetSpec, c: Case): string {
  const wanted = typeof c.expect === "function" ? "as the server's SETTINGS imply" : describeExpect(c.expect);
  const deviation = spec.reference ? c.known?.[spec.name as "haproxy" | "nghttpx"] : undefined;
  const known = deviation ? ` [known deviation: does ${describeExpect(deviation.observed)}]` : "";
  return `${c.id} ${c.sends} → ${wanted}${known}`;
}

for (const spec of chosenTargets()) {
  const why = spec.unavailable();
  if (why !== undefined) {
    console.error(`h2 conformance: target ${spec.name} not run: ${why}`);
    continue;
  }
  describe(`h2 conformance against ${spec.name}${spec.reference ? " (reference)" : ""}`, () => {
    let running: RunningTarget | undefined;
    beforeAll(async () => {
      running = await spec.start(backend.port);
    }, 30000);
    afterAll(async () => {
      await running?.stop();
    });
    for (const c of CASES) {
      test(title(spec, c), async () => await runCase(spec, running!.port, c), CASE_TIMEOUT);
    }
  });
}
