// TLS session resumption turned off, as bench/edge.ts does for its handshake
// rows: `no-tls-tickets` on the bind and `global tune.ssl.cachesize 0`. With
// both, openssl s_client never reports "Reused" (tickets or session IDs, TLS
// 1.2 and 1.3); a bind without no-tls-tickets on the same listener still
// resumes, so the method is shown to see resumption when there is some. Deno's
// TLS library ignores SSL_OP_NO_TICKET: there sluice refuses no-tls-tickets at
// start, and tune.ssl.cachesize 0 alone is checked.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, startSluice, stopSluice } from "./harness.ts";
import { type Leaf, TestPki } from "../support/certs.ts";

/** openssl s_client to 127.0.0.1:port for a.test, its stdin held open `holdSeconds` (TLS 1.3 tickets come after the handshake). */
async function sClient(port: number, holdSeconds: number, ...extra: string[]): Promise<string> {
  const proc = Bun.spawn(
    ["sh", "-c", 'h="$1"; shift; sleep "$h" | openssl s_client -connect "$0" -servername a.test "$@" 2>&1', `127.0.0.1:${port}`, String(holdSeconds), ...extra],
    { stdout: "pipe", stderr: "pipe" },
  );
  const timer = setTimeout(() => proc.kill(), 15000);
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  clearTimeout(timer);
  return out;
}

interface Resumption {
  first: string;
  again: string;
  /** Whether the first connection left a session to resume (no file: nothing to offer). */
  saved: boolean;
}

/** Two connections: the first saves its session, the second offers it. */
async function resume(port: number, file: string, ...extra: string[]): Promise<Resumption> {
  const hold = extra.includes("-tls1_3") ? 0.3 : 0;
  const first = await sClient(port, hold, ...extra, "-sess_out", file);
  const saved = existsSync(file);
  const again = saved ? await sClient(port, hold, ...extra, "-sess_in", file) : "";
  return { first, again, saved };
}

/** A frontend with a plain `ssl` bind and, when `off` is set, a `no-tls-tickets` one; `global` lines added. */
function config(a: Leaf, plain: number, off: number | undefined, global: string[] = []): string {
  return [
    "global",
    "    tune.ssl.cachesize 0",
    ...global.map((l) => `    ${l}`),
    "defaults",
    "    mode http",
    "    timeout client 5s",
    "frontend https",
    `    bind 127.0.0.1:${plain} ssl crt ${a.pem}`,
    ...(off === undefined ? [] : [`    bind 127.0.0.1:${off} ssl crt ${a.pem} no-tls-tickets`]),
    "    default_backend app",
    "backend app",
    "    server s1 127.0.0.1:1",
  ].join("\n") + "\n";
}

for (const target of selectedTargets()) describe(`TLS resumption off (${target.name})`, () => {
  let pki: TestPki;
  let a: Leaf;
  let sluice: Run | undefined;
  let plain = 0; // ssl: tickets on
  let off = 0; // ssl no-tls-tickets
  let n = 0;
  const sessFile = () => join(pki.dir, `sess-${target.name}-${n++}`);

  beforeAll(async () => {
    pki = new TestPki();
    a = pki.leaf("a", { names: ["a.test"] });
    [plain, off] = [await freePort(), await freePort()];
    sluice = await startSluice(target, config(a, plain, target.name === "deno" ? undefined : off));
  }, 60000);

  afterAll(async () => {
    if (sluice) await stopSluice(sluice);
  });

  test("tune.ssl.cachesize 0: a session ID alone (-no_ticket) is never resumed", async () => {
    const r = await resume(plain, sessFile(), "-tls1_2", "-no_ticket");
    expect(r.first).toContain("New, TLSv1.2");
    expect(r.first).not.toContain("TLS session ticket:");
    expect(r.saved).toBe(true);
    expect(r.again).toContain("New, TLSv1.2");
    expect(r.again).not.toContain("Reused");
  }, 30000);

  test("without no-tls-tickets a TLS 1.2 ticket still resumes (the method sees resumption)", async () => {
    const r = await resume(plain, sessFile(), "-tls1_2");
    expect(r.first).toContain("TLS session ticket:");
    expect(r.again).toContain("Reused, TLSv1.2");
  }, 30000);

  if (target.name === "deno") {
    test("no-tls-tickets is refused at start: Deno's TLS library still issues tickets", async () => {
      const onBind = config(a, await freePort(), await freePort());
      await expect(startSluice(target, onBind)).rejects.toThrow("no-tls-tickets cannot be applied under Deno");
      const inGlobal = config(a, await freePort(), undefined, ["ssl-default-bind-options no-tls-tickets"]);
      await expect(startSluice(target, inGlobal)).rejects.toThrow("no-tls-tickets cannot be applied under Deno");
    }, 30000);
    return;
  }

  test("no-tls-tickets + tune.ssl.cachesize 0: no ticket is issued and nothing is resumed (TLS 1.2, 1.3, session ID)", async () => {
    for (const flags of [["-tls1_2"], ["-tls1_2", "-no_ticket"], ["-tls1_3"]]) {
      const r = await resume(off, sessFile(), ...flags);
      expect(r.first).toMatch(/New, TLSv1\.[23]/);
      expect(r.first).not.toContain("TLS session ticket:");
      expect(r.first).not.toContain("Reused");
      // s_client saves a TLS 1.2 session even without a ticket (its session ID); TLS 1.3 has none to save.
      if (r.saved) expect(r.again).toMatch(/New, TLSv1\.[23]/);
      expect(r.again).not.toContain("Reused");
    }
  }, 30000);
});
