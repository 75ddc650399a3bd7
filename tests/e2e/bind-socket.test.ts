// Bind options on the listening socket (issue 19, bindopts): HAProxy's IPv6
// any-address forms `:::PORT` and `[::]:PORT`, `v4v6` (IPv4 clients too) and
// `v6only` (IPv6 clients only), `name`. HAProxy 2.6 and sluice run the same
// file; each bind is tried over IPv4 (127.0.0.1) and IPv6 (::1). Deno.listen
// cannot set IPV6_V6ONLY: sluice on Deno refuses `v6only` at start, naming it.
import { afterAll, describe, expect, test } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { TestPki } from "../support/certs.ts";
import { type Backend, freePort, nameBackend } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** What the proxy answers on host:port: the backend's name, or the connection error's code. */
function answer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("end", () => resolve(got));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.setTimeout(3000, () => {
      s.destroy();
      resolve("timeout");
    });
  });
}

/** The same over TLS (the certificate is not checked: the family is what is tested). */
function tlsAnswer(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host, port, servername: "a.test", rejectUnauthorized: false });
    let got = "";
    s.on("data", (d) => (got += d.toString()));
    s.on("end", () => resolve(got));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.setTimeout(3000, () => {
      s.destroy();
      resolve("timeout");
    });
  });
}

const backends: Backend[] = [];
afterAll(async () => {
  for (const b of backends) await b.close();
});

describe("bind :::PORT, [::]:PORT, v4v6, v6only, name", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: v4v6 takes both families, v6only IPv6 only`, async () => {
      const backend = await nameBackend("be");
      backends.push(backend);
      const [dual, six, ready] = [await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "listen l",
        `    bind :::${dual} v4v6 name dual`,
        `    bind [::]:${six} v6only name six`,
        `    bind 127.0.0.1:${ready} name ready`,
        `    server s 127.0.0.1:${backend.port}`,
        "",
      ].join("\n");
      expect(proxy.loads(config)).toBeUndefined();
      if (proxy.name === "sluice deno") {
        await expect(proxy.start(config, [ready])).rejects.toThrow(/v6only cannot be applied under Deno/);
        return;
      }
      const run = await proxy.start(config, [dual, ready]);
      try {
        expect(await answer("127.0.0.1", dual)).toBe("be");
        expect(await answer("::1", dual)).toBe("be");
        expect(await answer("::1", six)).toBe("be");
        expect(await answer("127.0.0.1", six)).toBe("ECONNREFUSED");
        if (proxy.name.startsWith("sluice")) {
          expect(run.errLines()).toContain(`frontend 'l' listening on [::]:${dual} (bind 'dual')`);
          expect(run.errLines()).toContain(`frontend 'l' listening on [::]:${six} (bind 'six')`);
        }
      } finally {
        await run.stop();
      }
    }, 30000);
  }

  // One certificate: Bun's own TLS listener; two: node:tls (src/runtime/bun.ts picks).
  for (const proxy of proxiesUnderTest().filter((p) => p.name !== "sluice deno")) {
    test(`${proxy.name}: the same on TLS binds, one certificate and two`, async () => {
      const pki = new TestPki();
      const a = pki.leaf("a", { names: ["a.test"] });
      const b = pki.leaf("b", { names: ["b.test"] });
      const backend = await nameBackend("be");
      backends.push(backend);
      const [oneSix, twoSix, twoDual, ready] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "listen l",
        `    bind [::]:${oneSix} ssl crt ${a.pem} v6only`,
        `    bind [::]:${twoSix} ssl crt ${a.pem} crt ${b.pem} v6only`,
        `    bind :::${twoDual} ssl crt ${a.pem} crt ${b.pem} v4v6`,
        `    bind 127.0.0.1:${ready}`,
        `    server s 127.0.0.1:${backend.port}`,
        "",
      ].join("\n");
      const run = await proxy.start(config, [twoDual, ready]);
      try {
        for (const port of [oneSix, twoSix]) {
          expect(await tlsAnswer("::1", port)).toBe("be");
          expect(await tlsAnswer("127.0.0.1", port)).toBe("ECONNREFUSED");
        }
        expect(await tlsAnswer("::1", twoDual)).toBe("be");
        expect(await tlsAnswer("127.0.0.1", twoDual)).toBe("be");
      } finally {
        await run.stop();
      }
    }, 60000);
  }

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: 0.0.0.0:PORT beside :::PORT v4v6 in one frontend both open (SO_REUSEPORT, as HAProxy)`, async () => {
      const backend = await nameBackend("be");
      backends.push(backend);
      const port = await freePort();
      const config = [
        "defaults",
        "    mode tcp",
        "    timeout connect 2s",
        "    timeout client 5s",
        "    timeout server 5s",
        "listen l",
        `    bind 0.0.0.0:${port} name four`,
        `    bind :::${port} v4v6 name six`,
        `    server s 127.0.0.1:${backend.port}`,
        "",
      ].join("\n");
      expect(proxy.loads(config)).toBeUndefined();
      // Deno.listen offers SO_REUSEPORT behind --unstable-net only (its workers get the flag; a single process not).
      if (proxy.name === "sluice deno") {
        await expect(proxy.start(config, [port])).rejects.toThrow(/needs SO_REUSEPORT: Deno offers it behind --unstable-net/);
        return;
      }
      const run = await proxy.start(config, [port]);
      try {
        for (let i = 0; i < 4; i++) {
          expect(await answer("127.0.0.1", port)).toBe("be");
          expect(await answer("::1", port)).toBe("be");
        }
      } finally {
        await run.stop();
      }
    }, 30000);
  }
});
