// unique-id-format and unique-id-header beside HAProxy 2.6: the id is made
// when the request is read (the rules see it as `unique-id`), the server
// gets it in the named header, the log writes it as %ID; the same shape on
// both proxies for HAProxy's documented format.
import { httpDefaults } from "./http-defaults.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, sleep } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

describe("unique-id-format against HAProxy 2.6", () => {
  let app: Server;
  beforeAll(async () => {
    app = createServer((req, res) => res.end(`${req.headers["x-unique-id"]}|${req.headers["x-seen"]}`));
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  });
  afterAll(() => app?.close());

  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: the id in the header, the rules and the log, HAProxy's shape`, async () => {
      const port = await freePort();
      const running = await proxy.start(`
${httpDefaults()}frontend fe
    bind 127.0.0.1:${port}
    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
    unique-id-header X-Unique-ID
    log stderr format raw local0
    log-format "id=%ID"
    http-request set-header X-Seen %[unique-id]
    default_backend app

backend app
    server s1 127.0.0.1:${(app.address() as AddressInfo).port}
`, [port]);
      try {
        const bodies: string[] = [];
        for (let i = 0; i < 2; i++) bodies.push(await (await fetch(`http://127.0.0.1:${port}/`)).text());
        await sleep(200);
        const logged = [...new Set(running.errLines().filter((l) => l.startsWith("id=") && l !== "id=-"))];
        // 7F000001:PORT_7F000001:PORT_TIME_COUNTER:PID, every number in hexadecimal (%{+X}o).
        const shape = /^7F000001:[0-9A-F]{4}_7F000001:[0-9A-F]{4}_[0-9A-F]{8}_[0-9A-F]{4,}:[0-9A-F]{4,}$/;
        for (const body of bodies) {
          const [header, seen] = body.split("|");
          expect(header).toMatch(shape);
          expect(seen).toBe(header);
        }
        expect(bodies[0]).not.toBe(bodies[1]);
        expect(logged).toEqual(bodies.map((b) => `id=${b.split("|")[0]}`));
        // The frontend's port and the client's are as the connection had them.
        const [ , fp] = /_7F000001:([0-9A-F]{4})_/.exec(bodies[0]!)!;
        expect(Number.parseInt(fp!, 16)).toBe(port);
      } finally {
        await running.stop();
      }
    }, 30000);
  }
});
