// `sluice probe URL` under each target: 2xx and 3xx are healthy (a redirect is
// not followed), anything else, a refused connection or no answer within
// --timeout is not, each with one line saying why.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createServer, type Server } from "node:http";
import net, { type AddressInfo } from "node:net";
import { freePort, selectedTargets, spawnSluice } from "./harness.ts";

describe("sluice probe", () => {
  let server: Server;
  let silent: net.Server;
  let base = "";
  let silentUrl = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      const status = Number(req.url!.slice(1)) || 200;
      res.writeHead(status, status === 302 ? { location: "/500" } : {});
      res.end("body");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Accepts and never answers.
    silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    server.close();
    silent.close();
  });

  for (const target of selectedTargets()) {
    test(`${target.name}: exit 0 on 2xx/3xx, 1 with a reason otherwise`, async () => {
      const probe = async (...args: string[]) => {
        const run = spawnSluice(target, ["probe", ...args]);
        const code = await run.exited;
        return { code, out: run.outText().trim(), err: run.errLines.join("\n").trim() };
      };
      expect(await probe(`${base}/204`)).toEqual({ code: 0, out: `${base}/204: 204 No Content`, err: "" });
      expect((await probe(`${base}/302`)).code).toBe(0);
      const failed = await probe(`${base}/503`);
      expect(failed).toEqual({ code: 1, out: "", err: `${base}/503: 503 Service Unavailable` });
      // A port nothing listens on (port 1 would be refused by Deno's fetch before any connect).
      const closed = `http://127.0.0.1:${await freePort()}/`;
      const refused = await probe(closed);
      expect(refused.code).toBe(1);
      expect(refused.err.split("\n")).toHaveLength(1);
      expect(refused.err.startsWith(`${closed}: `)).toBe(true);
      expect(refused.err).toMatch(/ECONNREFUSED|refused/i);
      const started = Date.now();
      const late = await probe("--timeout", "300ms", silentUrl);
      expect(late).toEqual({ code: 1, out: "", err: `${silentUrl}: no answer within 300 ms` });
      expect(Date.now() - started).toBeLessThan(10_000);
    }, 30_000);
  }
});
