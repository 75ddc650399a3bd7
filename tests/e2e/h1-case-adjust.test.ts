// h1-case-adjust beside HAProxy 2.6 on the same haproxy.cfg: with
// `option h1-case-adjust-bogus-server` a request reaches the server with the
// listed fields named as the global h1-case-adjust (and h1-case-adjust-file)
// write them; with `option h1-case-adjust-bogus-client` so does a response
// reach the client. Only the listed names are compared: HAProxy writes every
// other name in lower case, sluice as it received it.
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { captureServer } from "./capture-server.ts";
import { freePort, tempDir } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest } from "./reference-proxy.ts";

const capture = captureServer("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nx-powered-by: test\r\ncontent-length: 2\r\n\r\nok");
const server = capture.server;
afterAll(() => server.close());

/** The name of the field `lower` in a head, as written. */
const nameIn = (head: string, lower: string) => head.split("\r\n").map((l) => l.split(":")[0]!).find((n) => n.toLowerCase() === lower) ?? "absent";

describe("h1-case-adjust against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: listed fields named as written, to bogus servers and bogus clients`, async () => {
      if (!server.listening) await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const dir = tempDir();
      writeFileSync(join(dir, "names.txt"), "# from the file\nx-powered-by X-Powered-By\n");
      const port = await freePort();
      const running = await proxy.start(`global
    h1-case-adjust content-type Content-Type
    h1-case-adjust x-custom X-CUSTOM
    h1-case-adjust-file ${join(dir, "names.txt")}
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    option h1-case-adjust-bogus-client
    default_backend b
backend b
    option h1-case-adjust-bogus-server
    server s 127.0.0.1:${(server.address() as net.AddressInfo).port}
`, [port]);
      try {
        const response = await new Promise<string>((resolve) => {
          const s = net.connect(port, "127.0.0.1", () => s.write("GET / HTTP/1.1\r\nhost: x\r\nx-custom: 1\r\nconnection: close\r\n\r\n"));
          let got = "";
          s.on("data", (d) => (got += d.toString("latin1")));
          s.on("close", () => resolve(got));
          s.on("error", () => resolve(got));
        });
        const seen = {
          toServer: nameIn(capture.last(), "x-custom"),
          toClient: [nameIn(response, "content-type"), nameIn(response, "x-powered-by")],
        };
        expect(seen).toEqual({ toServer: "X-CUSTOM", toClient: ["Content-Type", "X-Powered-By"] });
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
