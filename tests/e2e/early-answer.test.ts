// A server that answers an upload before reading it and closes (python's
// http.server refuses a POST with 501 and closes with the body unread, so its
// kernel resets the connection): the answer reaches the client, as through
// HAProxy. sluice used to lose it in about one try of four: the failed body
// write closed the socket before the answer already received was read.
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";

const TRIES = 20;

async function pythonServer(port: number): Promise<Bun.Subprocess> {
  const proc = Bun.spawn(["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"], { stdout: "ignore", stderr: "ignore", cwd: tempDir() });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    if (up) return proc;
    await sleep(50);
  }
  proc.kill();
  throw new Error("python3 http.server did not start");
}

for (const target of selectedTargets()) {
  describe(`a server's early answer to an upload (${target.name})`, () => {
    let run: Run | undefined;
    let server: Bun.Subprocess | undefined;
    afterEach(async () => {
      if (run) await stopSluice(run);
      run = undefined;
      server?.kill();
      server = undefined;
    });

    test(`${TRIES} POSTs of 200 KB to a server that answers 501 unread and closes: every client gets the 501`, async () => {
      const backendPort = await freePort();
      server = await pythonServer(backendPort);
      const port = await freePort();
      run = await startSluice(target, `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server s1 127.0.0.1:${backendPort}
`);
      const body = join(tempDir(), "body");
      writeFileSync(body, Buffer.alloc(200_000, "x"));
      const codes: string[] = [];
      for (let i = 0; i < TRIES; i++) {
        const curl = Bun.spawn(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-X", "POST", "--data-binary", `@${body}`, `http://127.0.0.1:${port}/upload`], { stdout: "pipe" });
        codes.push(await new Response(curl.stdout).text());
      }
      expect(codes).toEqual(Array(TRIES).fill("501"));
      // The log says the server answered (no SH termination, a response time).
      await waitFor(() => run!.errLines.filter((l) => l.includes('"POST /upload')).length === TRIES, 5000, "the log lines");
      expect(run.errLines.filter((l) => l.includes('"POST /upload') && !l.includes(" 501 "))).toEqual([]);
    });
  });
}
