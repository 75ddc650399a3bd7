// Rules in the stream (issue 15), over the in-memory runtime: the request
// stage (http-request, redirect, use_backend, the backend's http-request,
// use-server), sluice's own replies, and the response stage (http-response,
// http-after-response), each seen on the wire the client and server get.
import { afterEach, expect, test } from "bun:test";
import { type Engine, engine, send } from "./harness.ts";

const BASE = `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
`;

let e: Engine | undefined;
afterEach(async () => {
  await e?.stop();
  e = undefined;
});

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

test("use_backend by path and by host; the default backend otherwise", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    acl is_api path_beg /api/
    use_backend api if is_api
    use_backend static if { hdr(host) -i static.example.com }
    default_backend web
backend web
    server w1 127.0.0.1:9101
backend api
    server a1 127.0.0.1:9102
backend static
    server s1 127.0.0.1:9103
`);
  const client = e.client();
  await send(e.clock, client, "GET /api/v1 HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.server(0).remotePort).toBe(9102);
  await send(e.clock, e.server(0), OK);
  await send(e.clock, client, "GET /img.png HTTP/1.1\r\nHost: STATIC.example.com\r\n\r\n");
  expect(e.server(1).remotePort).toBe(9103);
  await send(e.clock, e.server(1), OK);
  await send(e.clock, client, "GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.server(2).remotePort).toBe(9101);
});

test("http-request deny answers 403 itself and keeps the connection; deny_status and a body", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request deny if { path_beg /admin }
    http-request deny deny_status 429 content-type text/plain string "slow down" if { path /limited }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /admin/x HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(client.text()).toStartWith("HTTP/1.1 403 Forbidden\r\n");
  expect(e.runtime.servers.length).toBe(0);
  await send(e.clock, client, "GET /limited HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(client.text()).toContain("HTTP/1.1 429 Too Many Requests\r\n");
  expect(client.text()).toContain("content-type: text/plain\r\n");
  expect(client.text()).toEndWith("slow down");
  // Still open: the next request reaches the server.
  await send(e.clock, client, "GET /fine HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.server(0).text()).toStartWith("GET /fine HTTP/1.1\r\n");
});

test("set-header, del-header and set-path reach the server; use_backend sees the path set-path wrote", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request set-header X-Client %[src]
    http-request del-header X-Secret
    http-request set-path /v2%[path] if { path_beg /api/ }
    use_backend api if { path_beg /v2/api/ }
    default_backend web
backend web
    server w1 127.0.0.1:9101
backend api
    http-request add-header X-Backend api
    server a1 127.0.0.1:9102
`);
  const client = e.client();
  await send(e.clock, client, "GET /api/items?q=1 HTTP/1.1\r\nHost: x\r\nX-Secret: s\r\n\r\n");
  const seen = e.server(0);
  expect(seen.remotePort).toBe(9102);
  const text = seen.text();
  expect(text).toStartWith("GET /v2/api/items?q=1 HTTP/1.1\r\n");
  expect(text).toMatch(/X-Client: 127\.0\.0\.1\r\n/i);
  expect(text).toMatch(/X-Backend: api\r\n/i);
  expect(text).not.toContain("X-Secret");
});

test("redirect scheme and prefix, with their codes; return with a body", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request redirect scheme https code 301 if { hdr(host) -i secure.example.com }
    redirect prefix https://new.example.com if { path_beg /old/ }
    http-request return status 200 content-type text/plain string "pong" if { path /ping }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /a?b=1 HTTP/1.1\r\nHost: secure.example.com\r\n\r\n");
  expect(client.text()).toStartWith("HTTP/1.1 301 Moved Permanently\r\n");
  expect(client.text()).toMatch(/location: https:\/\/secure\.example\.com\/a\?b=1\r\n/i);
  const c2 = e.client();
  await send(e.clock, c2, "GET /old/page HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(c2.text()).toStartWith("HTTP/1.1 302 Found\r\n");
  expect(c2.text()).toMatch(/location: https:\/\/new\.example\.com\/old\/page\r\n/i);
  const c3 = e.client();
  await send(e.clock, c3, "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(c3.text()).toStartWith("HTTP/1.1 200 OK\r\n");
  expect(c3.text()).toEndWith("pong");
  expect(e.runtime.servers.length).toBe(0);
});

test("return with a status that has no content (204, 304): no Content-Length, no body (RFC 9110 §8.6, as HAProxy)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request return status 204 hdr X-Empty yes if { path /empty }
    http-request return status 304 if { path /same }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /same HTTP/1.1\r\nHost: x\r\n\r\n");
  const text = client.text();
  expect(text).toStartWith("HTTP/1.1 204 No Content\r\n");
  expect(text).toMatch(/X-Empty: yes\r\n/i);
  expect(text).toContain("HTTP/1.1 304 Not Modified\r\n");
  expect(text).not.toMatch(/content-length/i);
  expect(text).toEndWith("\r\n\r\n");
  expect(e.runtime.servers.length).toBe(0);
});

test("a 204 reply made a 200 by http-after-response says Content-Length: 0 (no framing would read until the close)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request return status 204 if { path /empty }
    http-after-response set-status 200
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(client.text()).toStartWith("HTTP/1.1 200 OK\r\n");
  expect(client.text()).toMatch(/Content-Length: 0\r\n/i);
});

test("response rules keep the server's own reason phrase; set-status without one gives RFC 9110's or the class's (HAProxy)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-response set-header X-Seen 1
    http-response set-status 299 if { path /class }
    http-response set-status 404 if { path /known }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const cases: [string, string, string][] = [
    ["/", "HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 500 X\r\n"],
    ["/", "HTTP/1.1 299 Odd One\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 299 Odd One\r\n"],
    ["/", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 200 \r\n"],
    ["/class", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 299 Success\r\n"],
    ["/known", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 404 Not Found\r\n"],
  ];
  for (const [i, [path, answer, line]] of cases.entries()) {
    const client = e.client();
    await send(e.clock, client, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await send(e.clock, e.server(i), answer);
    expect(client.text()).toStartWith(line);
    expect(client.text()).toMatch(/X-Seen: 1\r\n/i);
  }
});

test("http-response rules of the backend then the frontend; http-after-response on sluice's own replies too", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request deny if { path /no }
    http-response set-header X-Order fe
    http-after-response set-header X-After yes
    default_backend be
backend be
    http-response set-header X-Order be
    http-response set-header X-Be-Status %[status]
    http-response del-header Server
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, e.server(0), "HTTP/1.1 200 OK\r\nServer: secret/1.0\r\nContent-Length: 2\r\n\r\nok");
  const text = client.text();
  expect(text).toStartWith("HTTP/1.1 200 OK\r\n");
  // The frontend's rule ran last and replaced the backend's value.
  expect(text).toMatch(/X-Order: fe\r\n/i);
  expect(text).not.toMatch(/X-Order: be/i);
  expect(text).toMatch(/X-Be-Status: 200\r\n/i);
  expect(text).toMatch(/X-After: yes\r\n/i);
  expect(text).not.toContain("secret/1.0");
  const c2 = e.client();
  await send(e.clock, c2, "GET /no HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(c2.text()).toStartWith("HTTP/1.1 403 Forbidden\r\n");
  expect(c2.text()).toMatch(/X-After: yes\r\n/i);
});

test("http-response deny replaces the server's answer with 502", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    http-response deny if { status 500 }
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, e.server(0), "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom");
  expect(client.text()).toStartWith("HTTP/1.1 502 Bad Gateway\r\n");
  expect(client.text()).not.toContain("boom");
});

test("no default_backend: what no use_backend takes gets 503; a dynamic use_backend naming no backend falls back", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    use_backend %[req.hdr(x-target)] if { req.hdr(x-target) -m found }
backend api
    server a1 127.0.0.1:9102
`);
  const client = e.client();
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\nX-Target: api\r\n\r\n");
  expect(e.server(0).remotePort).toBe(9102);
  await send(e.clock, e.server(0), OK);
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\nX-Target: nothere\r\n\r\n");
  expect(client.text()).toContain("HTTP/1.1 503 Service Unavailable\r\n");
  const c2 = e.client();
  await send(e.clock, c2, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(c2.text()).toStartWith("HTTP/1.1 503 Service Unavailable\r\n");
});

test("http-after-response runs on sluice's own error pages too (503, an errorfile), as HAProxy", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-after-response set-header X-After %[status]
    http-after-response set-header Strict-Transport-Security max-age=60
    use_backend %[req.hdr(x-target)] if { req.hdr(x-target) -m found }
backend api
    server a1 127.0.0.1:9102
`);
  const client = e.client();
  await send(e.clock, client, "GET /none HTTP/1.1\r\nHost: x\r\n\r\n");
  const text = client.text();
  expect(text).toStartWith("HTTP/1.1 503 Service Unavailable\r\n");
  expect(text).toMatch(/X-After: 503\r\n/i);
  expect(text).toMatch(/Strict-Transport-Security: max-age=60\r\n/i);
  expect(text).toContain("<h1>503 Service Unavailable</h1>");
  // The page's own framing still holds: its length, then the next request on the same connection.
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\nX-Target: api\r\n\r\n");
  await send(e.clock, e.server(0), OK);
  expect(client.text().split("HTTP/1.1 ").length).toBe(3);
});

test("use-server picks the named server while it is usable", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    balance roundrobin
    use-server s2 if { path_beg /two }
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102
`);
  for (let i = 0; i < 3; i++) {
    const client = e.client();
    await send(e.clock, client, "GET /two/x HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(e.server(i).remotePort).toBe(9102);
    await send(e.clock, e.server(i), OK);
  }
});

test("a denied request with a body closes the connection after the answer", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request deny if { method POST }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
  expect(client.text()).toStartWith("HTTP/1.1 403 Forbidden\r\n");
  expect(client.closed || client.ended).toBe(true);
});

test("http-request auth: 401 with the realm until the userlist's credentials come; groups", async () => {
  e = await engine(`${BASE}
userlist admins
    group ops
    user alice insecure-password wonderland groups ops
    user bob insecure-password builder
frontend fe
    bind 127.0.0.1:9200
    http-request auth realm Admin if { path_beg /admin/ } !{ http_auth(admins) }
    http-request deny if { path_beg /admin/ops } !{ http_auth_group(admins) ops }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString("base64");
  const c1 = e.client();
  await send(e.clock, c1, "GET /admin/x HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(c1.text()).toStartWith("HTTP/1.1 401 Unauthorized\r\n");
  expect(c1.text()).toMatch(/www-authenticate: Basic realm="Admin"\r\n/i);
  const c2 = e.client();
  await send(e.clock, c2, `GET /admin/x HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basic("bob", "wrong")}\r\n\r\n`);
  expect(c2.text()).toStartWith("HTTP/1.1 401 Unauthorized\r\n");
  const c3 = e.client();
  await send(e.clock, c3, `GET /admin/ops HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basic("bob", "builder")}\r\n\r\n`);
  expect(c3.text()).toStartWith("HTTP/1.1 403 Forbidden\r\n");
  const c4 = e.client();
  await send(e.clock, c4, `GET /admin/ops HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${basic("alice", "wonderland")}\r\n\r\n`);
  expect(e.server(0).text()).toStartWith("GET /admin/ops HTTP/1.1\r\n");
});

test("http-request tarpit holds the request for timeout tarpit, then answers 500 (deny_status otherwise)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    timeout tarpit 2s
    http-request tarpit if { path_beg /bot }
    http-request tarpit deny_status 429 if { path_beg /slow }
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /bot HTTP/1.1\r\nHost: x\r\n\r\n");
  await e.clock.advance(1999);
  expect(client.text()).toBe("");
  await e.clock.advance(1);
  expect(client.text()).toStartWith("HTTP/1.1 500 Internal Server Error\r\n");
  const c2 = e.client();
  await send(e.clock, c2, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  await e.clock.advance(2000);
  expect(c2.text()).toStartWith("HTTP/1.1 429 Too Many Requests\r\n");
  expect(e.runtime.servers.length).toBe(0);
});

test("allow in the backend's http-response and http-after-response stops that section's rules only: the frontend's still run (HAProxy 2.6)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-response set-header X-Fe 1
    http-after-response set-header X-Fe-After 1
    default_backend be
backend be
    http-response allow
    http-response set-header X-Be 1
    http-after-response allow
    http-after-response set-header X-Be-After 1
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await send(e.clock, e.server(0), OK);
  const answer = client.text().toLowerCase();
  expect(answer).toContain("x-fe: 1\r\n");
  expect(answer).toContain("x-fe-after: 1\r\n");
  expect(answer).not.toContain("x-be: 1\r\n");
  expect(answer).not.toContain("x-be-after: 1\r\n");
});

test("redirect lines run after the http-request rules even when one said allow (HAProxy 2.6)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    http-request allow if { path_beg /a }
    redirect location /moved
    default_backend be
backend be
    server s1 127.0.0.1:9100
`);
  const client = e.client();
  await send(e.clock, client, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(client.text()).toStartWith("HTTP/1.1 302 Found\r\n");
  expect(client.text().toLowerCase()).toContain("location: /moved\r\n");
  expect(e.runtime.servers.length).toBe(0);
});

test("a tarpit holds for the timeout tarpit of the proxy whose rule said so, else its timeout connect (HAProxy 2.6)", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    timeout tarpit 300ms
    http-request tarpit if { path /ftar }
    use_backend be2 if { path_beg /two }
    default_backend be
backend be
    timeout tarpit 1500ms
    server s1 127.0.0.1:9100
backend be2
    timeout connect 700ms
    http-request tarpit if { path /two/btar }
    server s1 127.0.0.1:9100
`);
  const front = e.client();
  await send(e.clock, front, "GET /ftar HTTP/1.1\r\nHost: x\r\n\r\n");
  await e.clock.advance(300);
  expect(front.text()).toStartWith("HTTP/1.1 500 ");
  const back = e.client();
  await send(e.clock, back, "GET /two/btar HTTP/1.1\r\nHost: x\r\n\r\n");
  await e.clock.advance(699);
  expect(back.text()).toBe("");
  await e.clock.advance(1);
  expect(back.text()).toStartWith("HTTP/1.1 500 ");
});

test("a listen: use-server applies and its http-request rules run once", async () => {
  e = await engine(`${BASE}
listen app
    bind 127.0.0.1:9200
    http-request add-header X-Once 1
    use-server s2 if { path_beg /two }
    server s1 127.0.0.1:9101
    server s2 127.0.0.1:9102
`);
  const client = e.client();
  await send(e.clock, client, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(e.server(0).remotePort).toBe(9102);
  expect(e.server(0).text().match(/X-Once: 1/gi)?.length).toBe(1);
});

test("force-persist sends a cookie's request to its server in maintenance; ignore-persist lets the balancer choose", async () => {
  e = await engine(`${BASE}
frontend fe
    bind 127.0.0.1:9200
    default_backend be
backend be
    balance roundrobin
    cookie SRV insert indirect
    force-persist if { hdr(x-admin) -m found }
    ignore-persist if { path_end .png }
    server s1 127.0.0.1:9101 cookie s1
    server s2 127.0.0.1:9102 cookie s2 disabled
    server s3 127.0.0.1:9103 cookie s3
`);
  const ask = async (text: string) => {
    const client = e!.client();
    const n = e!.runtime.servers.length;
    await send(e!.clock, client, text);
    const server = e!.server(n);
    await send(e!.clock, server, OK);
    return server.remotePort;
  };
  // s2 is in maintenance: only force-persist reaches it.
  expect(await ask("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=s2\r\nX-Admin: 1\r\n\r\n")).toBe(9102);
  expect(await ask("GET / HTTP/1.1\r\nHost: x\r\nCookie: SRV=s2\r\n\r\n")).not.toBe(9102);
  // s3 runs: its cookie keeps the client there, except for what ignore-persist names.
  expect(await ask("GET /a HTTP/1.1\r\nHost: x\r\nCookie: SRV=s3\r\n\r\n")).toBe(9103);
  const ports = [];
  for (let i = 0; i < 2; i++) ports.push(await ask("GET /img.png HTTP/1.1\r\nHost: x\r\nCookie: SRV=s3\r\n\r\n"));
  expect(ports).toContain(9101);
});
