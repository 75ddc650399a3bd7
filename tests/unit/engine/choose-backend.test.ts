// The phase where request rules will choose a backend (issue 15's use_backend):
// HttpSessionHost.chooseBackend runs for every request, and a session is not
// bound to one backend — two requests of one client connection can go to two
// backends, each with its own servers, forwarding and timeouts.
import { afterEach, expect, test } from "bun:test";
import type { Head } from "../../../src/http/message.ts";
import type { Backend } from "../../../src/backend/backend.ts";
import { type Engine, engine, send } from "./harness.ts";

const CONFIG = `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    default_backend web
backend web
    server w1 127.0.0.1:9101
backend api
    option forwardfor
    timeout server 2s
    server a1 127.0.0.1:9102
`;

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

test("each request of one client connection goes where chooseBackend says: its servers, its forwarding, its timeout server", async () => {
  e = await engine(CONFIG);
  const api = e.proxy.backends.get("api")!;
  const http = e.proxy.frontends[0]!.http!;
  const seen: string[] = [];
  http.chooseBackend = (request: Head, fallback: Backend) => {
    seen.push(request.target);
    return request.target.startsWith("/api/") ? api : fallback;
  };
  const client = e.client();
  await send(e.clock, client, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  const web = e.server(0);
  expect(web.remotePort).toBe(9101);
  expect(web.text()).not.toContain("X-Forwarded-For");
  await send(e.clock, web, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nweb");

  await send(e.clock, client, "GET /api/v1 HTTP/1.1\r\nHost: x\r\n\r\n");
  const apiConn = e.server(1);
  expect(apiConn.remotePort).toBe(9102);
  expect(apiConn.text()).toContain("X-Forwarded-For: 127.0.0.1");
  expect(seen).toEqual(["/page", "/api/v1"]);
  // api's own timeout server (2 s), not web's (30 s).
  await e.clock.advance(1999);
  expect(client.text()).toBe("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nweb");
  await e.clock.advance(1);
  expect(client.text()).toContain("HTTP/1.1 504 Gateway Time-out");
});
