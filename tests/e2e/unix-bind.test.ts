// `unix-bind` beside HAProxy 2.6. HAProxy applies it to the UNIX sockets of
// proxies' `bind` lines only (unix-socket-bind.test.ts): a `stats socket`
// keeps its own path and the umask's mode under both proxies, and the runtime
// API answers there. A unix-bind with a bad option is refused by both.
import { describe, expect, test } from "bun:test";
import { statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { freePort, tempDir, waitFor } from "./harness.ts";
import { proxiesUnderTest } from "./reference-proxy.ts";

/** One runtime API command on a unix socket: the answer. */
async function ask(path: string, command: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = net.connect({ path });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${command}\n`));
    socket.on("data", (d: string) => (text += d));
    socket.on("close", () => resolve(text));
    socket.on("error", () => resolve(text));
  });
}

const config = (dir: string, port: number, unixBind: string) => `global
    unix-bind ${unixBind}
    stats socket ${dir}/api.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend f
    bind 127.0.0.1:${port}
    http-request return status 200
`;

describe("unix-bind", () => {
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: accepted; a stats socket keeps its path and mode (unix-bind is for proxies' UNIX binds)`, async () => {
      const dir = tempDir();
      const port = await freePort();
      const running = await proxy.start(config(dir, port, `prefix ${dir}/other/ mode 600 uid 0 gid 0`), [port]);
      try {
        const api = join(dir, "api.sock");
        await waitFor(() => {
          try {
            return statSync(api).isSocket();
          } catch {
            return false;
          }
        }, 5000, "the stats socket");
        expect(statSync(api).mode & 0o777).not.toBe(0o600);
        expect(await ask(api, "show info")).toMatch(/^Name: /m);
      } finally {
        await running.stop();
      }
    });

    test(`${proxy.name}: an unknown unix-bind option is refused`, () => {
      expect(proxy.loads(config(tempDir(), 1, "prefix /x/ colour blue"))).toBeDefined();
    });
  }
});
