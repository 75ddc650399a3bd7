// An HTTP/2 request's URI in the log, beside HAProxy 2.6: its scheme and
// authority are part of it (absolute form: %HU, %HP and %r; %HPO the path
// alone), over cleartext HTTP/2 and over TLS (https), where an HTTP/1.1
// request in origin form logs just its path; %U counts an HTTP/2 request's
// header block (it was 0 for a request without a body). curl is the client.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";
import { threeBinds, threeBindsPki } from "./three-binds.ts";

const pki = threeBindsPki("h");

const FORMAT = "U %HV %HM HU=%HU HP=%HP HPO=%HPO HQ=%HQ %{+Q}r bytes=%U";

const LINES = [`log-format "${FORMAT}"`, "http-request return status 200 content-type text/plain string ok"];

function curl(args: string[]): void {
  const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", ...args], { encoding: "utf8", timeout: 10_000 });
  expect(r.stdout).toBe("200");
}

describe("an HTTP/2 request's URI in the log", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: scheme://authority/path for HTTP/2, the path for HTTP/1.1 in origin form`, async () => {
      const binds = await threeBinds("h", pki);
      const { h2c, tls, h1 } = binds;
      const running = await proxy.start(binds.config(LINES, true), binds.ports);
      try {
        curl(["--http2-prior-knowledge", `http://127.0.0.1:${h2c}/p/a?q=1`]);
        curl(["--http2", ...binds.https("/s?x=2")]);
        curl([`http://127.0.0.1:${h1}/o?y=3`]);
        // The start-up probes' connections (closed without a request) log <BADREQ> lines of their own.
        const lines = () => running.errLines().filter((l) => l.startsWith("U ") && !l.includes("<BADREQ>"));
        await waitFor(() => lines().length >= 3, 5000, "three log lines");
        // The bytes from the client: HTTP/1.1's head as sent, HTTP/2's header block (HAProxy counts its own
        // decoded form: only that some were counted is compared).
        const counted = lines().map((l) => Number(/ bytes=(\d+)$/.exec(l)?.[1]));
        expect(counted.every((n) => n > 20)).toBe(true);
        expect(lines().map((l) => l.replace(/ bytes=\d+$/, ""))).toEqual([
          `U HTTP/2.0 GET HU=http://127.0.0.1:${h2c}/p/a?q=1 HP=http://127.0.0.1:${h2c}/p/a HPO=/p/a HQ=?q=1 "GET http://127.0.0.1:${h2c}/p/a?q=1 HTTP/2.0"`,
          `U HTTP/2.0 GET HU=https://h.test:${tls}/s?x=2 HP=https://h.test:${tls}/s HPO=/s HQ=?x=2 "GET https://h.test:${tls}/s?x=2 HTTP/2.0"`,
          `U HTTP/1.1 GET HU=/o?y=3 HP=/o HPO=/o HQ=?y=3 "GET /o?y=3 HTTP/1.1"`,
        ]);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
