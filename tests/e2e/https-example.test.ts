// examples/https.cfg (and its YAML twin) end to end, from the repository root
// as its comments say: certificates from examples/certs/make-certs.sh, two
// HTTP/1.1 web servers on :9001/:9002 and the gRPC test server on :9101.
// Checked: both names on the web bind get their own certificate (curl verifies
// it against the example CA for the name it asked by SNI), over HTTP/2 and
// HTTP/1.1 by ALPN; the gRPC bind carries a grpc-js call over TLS. Runs against
// HAProxy (the .cfg) and sluice under each target once it accepts the file.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { join } from "node:path";
import { grpcBackend, type GrpcBackend, tlsClient } from "./grpc-peers.ts";
import { ROOT } from "./harness.ts";
import { accepted, haproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";

const TIMEOUT = 30000;
execFileSync("sh", [join(ROOT, "examples/certs/make-certs.sh")], { stdio: "ignore" });
const CA = join(ROOT, "examples/certs/ca.crt");

function webServer(name: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.end(`${name} ${req.method} ${req.url}\n`);
  });
  return new Promise((r) => server.listen(port, "127.0.0.1", () => r(server)));
}

/** curl through the example with the example CA, asking for `name` by SNI; prints body, status, HTTP version, verify result. */
function curl(name: string, port: number, path: string, version: "--http2" | "--http1.1"): Promise<string> {
  return new Promise((resolve) => {
    const args = ["-sS", "--max-time", "5", version, "--cacert", CA, "--resolve", `${name}:${port}:127.0.0.1`,
      "-w", "%{http_code} %{http_version} %{ssl_verify_result}", `https://${name}:${port}${path}`];
    const p = spawn("curl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", () => resolve(out));
  });
}

for (const proxy of proxiesUnderTest()) {
  // HAProxy reads the .cfg only; sluice both syntaxes.
  for (const file of proxy === haproxy ? ["examples/https.cfg"] : ["examples/https.cfg", "examples/https.yaml"]) {
    if (!accepted(proxy, file)) continue;
    describe(`${file} (${proxy.name})`, () => {
      let web: http.Server[] = [];
      let be: GrpcBackend;
      let run: RunningProxy;
      beforeAll(async () => {
        web = await Promise.all([webServer("w1", 9001), webServer("w2", 9002)]);
        be = await grpcBackend(9101);
        run = await proxy.startFile(file, [8443, 8444]);
      });
      afterAll(async () => {
        await run?.stop();
        await be?.close();
        await Promise.all(web.map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
      });

      for (const name of ["www.example.test", "grpc.example.test"]) {
        test(`${name} on :8443: its own certificate (verified for the name), HTTP/2 and HTTP/1.1 by ALPN, to the web servers`, async () => {
          const h2 = await curl(name, 8443, "/a", "--http2");
          expect(h2).toMatch(/^w[12] GET \/a\n200 2 0$/);
          const h1 = await curl(name, 8443, "/b", "--http1.1");
          expect(h1).toMatch(/^w[12] GET \/b\n200 1\.1 0$/);
        }, TIMEOUT);
      }

      test("grpc.example.test on :8444: a grpc-js call over TLS (ALPN h2) to the gRPC server", async () => {
        const client = tlsClient(8444, readFileSync(CA), "grpc.example.test");
        try {
          const reply = await new Promise<{ text: string }>((resolve, reject) =>
            client.echo({ text: "through the example" }, new grpc.Metadata(), (err, r) => (err ? reject(err) : resolve(r!)))
          );
          expect(reply).toEqual({ text: "through the example" });
        } finally {
          client.close();
        }
        expect(run.alive()).toBe(true);
      }, TIMEOUT);
    });
  }
}
