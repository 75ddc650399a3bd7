// `tune.ssl.lifetime` beside HAProxy 2.6 on the same haproxy.cfg: the
// lifetime a TLS 1.2 session ticket says (openssl s_client's "lifetime
// hint") is the one configured, as HAProxy's SSL_CTX_set_timeout makes it.
// Under Deno, whose TLS library ignores it, sluice refuses to start and says
// why (as for the other settings rustls ignores).
import { describe, expect, test } from "bun:test";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";
import { TestPki } from "../support/certs.ts";

const pki = new TestPki(tempDir());
const leaf = pki.leaf("site", { names: ["localhost", "127.0.0.1"] });

async function lifetimeHint(port: number): Promise<string> {
  const proc = Bun.spawn(["sh", "-c", `echo | openssl s_client -connect 127.0.0.1:${port} -tls1_2 2>&1`], { stdout: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return /lifetime hint: (\d+)/.exec(out)?.[1] ?? "none";
}

describe("tune.ssl.lifetime against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the ticket's lifetime is the configured one`, async () => {
      const port = await freePort();
      const config = `
global
    tune.ssl.lifetime 10m
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port} ssl crt ${leaf.pem}
    http-request return status 200
`;
      if (proxy.name === "sluice deno") {
        await expect(proxy.start(config, [port])).rejects.toThrow(/tune\.ssl\.lifetime cannot be applied under Deno/);
        return;
      }
      const running = await proxy.start(config, [port]);
      try {
        const hint = await lifetimeHint(port);
        expect(hint).toBe("600");
        expectSameAsHaproxy(answers, proxy.name, hint);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
