// A server that keeps the head of the last request it was sent (as bytes
// arrived, latin1) and answers each with a fixed response, for tests that
// compare what reached a server.
import net from "node:net";

export interface CaptureServer {
  readonly server: net.Server;
  /** The last request head received (through its blank line), "" before any. */
  last(): string;
  port(): number;
}

export function captureServer(answer: string): CaptureServer {
  let lastRequest = "";
  const server = net.createServer((s) => {
    let got = "";
    s.on("error", () => {});
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (!got.includes("\r\n\r\n")) return;
      lastRequest = got;
      s.end(answer);
    });
  });
  return { server, last: () => lastRequest, port: () => (server.address() as net.AddressInfo).port };
}
