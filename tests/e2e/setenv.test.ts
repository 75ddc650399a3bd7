// global setenv, presetenv and unsetenv beside HAProxy 2.6 on the same
// haproxy.cfg: the lines after them expand "${NAME}" from the changed
// environment (the bind's port here), and env() in rules reads it.
import { describe, expect, test } from "bun:test";
import http from "node:http";
import { freePort } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

describe("setenv / presetenv / unsetenv against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: later lines and env() see the changed environment`, async () => {
      const port = await freePort();
      const running = await proxy.start(`global
    setenv SLUICE_TEST_PORT ${port}
    setenv GREETING hello
    presetenv HOME other
    presetenv SLUICE_TEST_NEW fresh
    setenv SLUICE_TEST_GONE present
    unsetenv SLUICE_TEST_GONE
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind "127.0.0.1:\${SLUICE_TEST_PORT}"
    http-request return status 200 content-type text/plain lf-string "%[env(GREETING)] %[env(HOME)] %[env(SLUICE_TEST_NEW)] [%[env(SLUICE_TEST_GONE)]]"
`, [port]);
      try {
        const body = await new Promise<string>((resolve) => {
          http.get({ host: "127.0.0.1", port, path: "/", agent: false }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (d: string) => (text += d));
            res.on("end", () => resolve(text));
          }).on("error", (e) => resolve(`error ${e.message}`));
        });
        // presetenv leaves a variable the process has (HOME, inherited from the test) as it is.
        expect(body).toBe(`hello ${process.env.HOME} fresh []`);
        expectSameAsHaproxy(answers, proxy.name, body);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
