// The runtime API end to end, under Bun, Deno and the binary: sluice with
// `stats socket` lines (two unix sockets of different levels, one ipv4@),
// real HTTP backends on loopback, and socat as the client (as an operator's
// scripts use it). Every command answers over the unix socket and over TCP;
// drain, maint and weights are observed from the backends; a map change
// reroutes the next request; a committed certificate is the one openssl
// s_client sees next.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { join } from "node:path";
import { TestPki } from "../support/certs.ts";
import { freePort, type Run, selectedTargets, sleep, startSluice, stopSluice, tempDir, waitFor } from "./harness.ts";

interface NamedHttp {
  name: string;
  port: number;
  /** Requests answered so far. */
  served: number;
  /** Connections open now. */
  readonly open: Set<net.Socket>;
  close(): void;
}

/** An HTTP backend answering its name; `/slow` answers after 800 ms. Keeps its connections alive. */
async function httpNamed(name: string): Promise<NamedHttp> {
  const open = new Set<net.Socket>();
  const srv = http.createServer((req, res) => {
    const answer = () => {
      named.served++;
      res.end(name);
    };
    if (req.url === "/slow") setTimeout(answer, 800);
    else answer();
  });
  srv.keepAliveTimeout = 30000;
  srv.on("connection", (s: net.Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const named: NamedHttp = {
    name,
    open,
    served: 0,
    port: (srv.address() as AddressInfo).port,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
  return named;
}

/** One request on a connection of its own; the backend's name. */
async function get(port: number, path = "/", host = "app.example", cookie?: string): Promise<string> {
  const headers: Record<string, string> = { host, connection: "close" };
  if (cookie !== undefined) headers.cookie = cookie;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return await res.text();
}

async function split(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await get(port);
    seen[name] = (seen[name] ?? 0) + 1;
  }
  return seen;
}

/** `echo INPUT | socat stdio ADDRESS`: what the runtime API answered. */
async function socat(address: string, input: string): Promise<string> {
  const proc = Bun.spawn(["socat", "stdio", address], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write(input);
  await proc.stdin.end();
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return out;
}

/** The subject openssl s_client sees on `port` for SNI `name`. */
async function subjectSeen(port: number, name: string): Promise<string> {
  const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-servername", name], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  await proc.stdin.end();
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  return /subject=(.*)/.exec(out)?.[1]?.trim() ?? "";
}

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});

for (const target of selectedTargets()) {
  describe(`runtime API (${target.name})`, () => {
    let run: Run;
    let dir: string;
    let web: number;
    let tlsPort: number;
    let tcpApi: number;
    let a: NamedHttp, b: NamedHttp, c: NamedHttp;
    let admin: string, user: string, tcp: string;
    let mapFile: string, pemA: string, pemB: string;

    test("starts with its stats sockets (unix with mode, ipv4@)", async () => {
      dir = tempDir();
      [a, b, c] = await Promise.all([httpNamed("A"), httpNamed("B"), httpNamed("C")]);
      cleanups.push(() => a.close(), () => b.close(), () => c.close());
      [web, tlsPort, tcpApi] = [await freePort(), await freePort(), await freePort()];
      const pki = new TestPki(dir);
      pemA = pki.leaf("a", { names: ["a.test"] }).pem;
      pemB = pki.leaf("b", { names: ["b.test"] }).pem;
      mapFile = join(dir, "hosts.map");
      writeFileSync(mapFile, "app.example be\n");
      admin = join(dir, "admin.sock");
      user = join(dir, "user.sock");
      run = await startSluice(target, `global
    stats socket ${admin} level admin mode 600
    stats socket ${user} level user
    stats socket ipv4@127.0.0.1:${tcpApi} level admin
    stats timeout 5s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${web}
    use_backend %[req.hdr(host),map(${mapFile},be)]
    default_backend be
frontend tls
    bind 127.0.0.1:${tlsPort} ssl crt ${pemA}
    default_backend be
backend be
    stick-table type ip size 100 expire 30s store http_req_cnt
    http-request track-sc0 src
    cookie SRV insert indirect nocache
    server A 127.0.0.1:${a.port} check inter 500 cookie a
    server B 127.0.0.1:${b.port} cookie b
backend other
    server C 127.0.0.1:${c.port}
`);
      tcp = `TCP:127.0.0.1:${tcpApi}`;
      expect(run.errLines).toContain(`runtime API listening on ${admin}`);
      expect(run.errLines).toContain(`runtime API listening on 127.0.0.1:${tcpApi}`);
      const { statSync } = await import("node:fs");
      expect(statSync(admin).mode & 0o777).toBe(0o600);
    }, 30000);

    test("help, an unknown command, and levels, over the unix socket and over TCP", async () => {
      const help = await socat(`UNIX-CONNECT:${admin}`, "help\n");
      expect(help.split("\n")[0]).toBe("The following commands are valid at this level:");
      expect(help).toContain("  show servers state [<backend>]          : dump volatile server information (all or for a single backend)\n");
      expect(help).toEndWith("  quit                                    : disconnect\n\n");
      expect(await socat(tcp, "help\n")).toBe(help);
      expect((await socat(`UNIX-CONNECT:${admin}`, "show foo\n")).split("\n")[0]).toBe("Unknown command, but maybe one of the following ones is a better match:");
      expect(await socat(`UNIX-CONNECT:${user}`, "disable server be/A\n")).toBe("Permission denied\n\n");
      expect(await socat(`UNIX-CONNECT:${user}`, "get weight be/A\n")).toBe("1 (initial 1)\n\n");
      expect(await socat(tcp, "get weight be/A; get weight be/B\n")).toBe("1 (initial 1)\n\n1 (initial 1)\n\n");
    });

    test("prompt: interactive until quit", async () => {
      const socket = net.connect(admin);
      let got = "";
      socket.on("data", (d) => (got += d.toString()));
      await new Promise<void>((r) => socket.once("connect", () => r()));
      socket.write("prompt\n");
      await waitFor(() => got === "\n> ", 3000, "the prompt");
      socket.write("get weight be/B\n");
      await waitFor(() => got.endsWith("> 1 (initial 1)\n\n> "), 3000, "the answer and the next prompt");
      const closed = new Promise<void>((r) => socket.once("close", () => r()));
      socket.write("quit\n");
      await closed;
    });

    test("weights: an even split, weight 0 takes nothing, weight 3 takes three in four", async () => {
      expect(await split(web, 20)).toEqual({ A: 10, B: 10 });
      expect(await socat(`UNIX-CONNECT:${admin}`, "set server be/B weight 0\n")).toBe("\n");
      expect(await split(web, 10)).toEqual({ A: 10 });
      expect(await socat(`UNIX-CONNECT:${admin}`, "set weight be/B 3\n")).toBe("\n");
      expect(await socat(`UNIX-CONNECT:${admin}`, "get weight be/B\n")).toBe("3 (initial 1)\n\n");
      expect(await split(web, 40)).toEqual({ A: 10, B: 30 });
      await socat(`UNIX-CONNECT:${admin}`, "set server be/B weight 1\n");
    }, 30000);

    test("drain: a slow request in flight on B finishes; new requests all go to A, but a persistent one (cookie) to B", async () => {
      // A drained for a moment: the slow request goes to B.
      await socat(`UNIX-CONNECT:${admin}`, "set server be/A state drain\n");
      const slow = get(web, "/slow");
      await waitFor(() => b.open.size > 0, 3000, "the slow request to reach B");
      await sleep(100);
      await socat(`UNIX-CONNECT:${admin}`, "set server be/A state ready\n");
      expect(await socat(`UNIX-CONNECT:${admin}`, "set server be/B state drain\n")).toBe("\n");
      const before = b.served;
      expect(await split(web, 6)).toEqual({ A: 6 });
      // The one B finishes is the slow request it had in flight.
      expect(await slow).toBe("B");
      expect(b.served).toBe(before + 1);
      // A persistent client (its cookie names B) still gets B while it drains.
      expect(await get(web, "/", "app.example", "SRV=b")).toBe("B");
      const state = await socat(`UNIX-CONNECT:${admin}`, "show servers state be\n");
      expect(state.split("\n")[3]!.split(" ").slice(3, 7)).toEqual(["B", "127.0.0.1", "2", "8"]);
      expect(await socat(`UNIX-CONNECT:${admin}`, "set server be/B state ready\n")).toBe("\n");
    }, 30000);

    test("maint: B's idle pooled connections are closed, it gets no request; enable server brings it back", async () => {
      await split(web, 4);
      await waitFor(() => b.open.size > 0, 3000, "a pooled connection to B");
      expect(await socat(`UNIX-CONNECT:${admin}`, "disable server be/B\n")).toBe("\n");
      await waitFor(() => b.open.size === 0, 3000, "B's idle connections to close");
      const before = b.served;
      expect(await split(web, 6)).toEqual({ A: 6 });
      // In maintenance even a client whose cookie names B goes elsewhere.
      expect(await get(web, "/", "app.example", "SRV=b")).toBe("A");
      expect(b.served).toBe(before);
      expect(await socat(`UNIX-CONNECT:${admin}`, "enable server be/B\n")).toBe("\n");
      expect(Object.keys(await split(web, 4)).sort()).toEqual(["A", "B"]);
    }, 30000);

    test("set server addr: new connections to B go to the new address; pooled ones to the old are closed", async () => {
      await split(web, 2);
      await waitFor(() => b.open.size > 0, 3000, "a pooled connection to B");
      const answer = await socat(`UNIX-CONNECT:${admin}`, `set server be/B addr 127.0.0.1 port ${c.port}\n`);
      expect(answer).toBe(`no need to change the addr, port changed from '${b.port}' to '${c.port}' by 'stats socket command'\n\n`);
      await waitFor(() => b.open.size === 0, 3000, "the pooled connections to B's old address to close");
      expect(await split(web, 4)).toEqual({ A: 2, C: 2 });
      await socat(`UNIX-CONNECT:${admin}`, `set server be/B addr 127.0.0.1 port ${b.port}\n`);
      expect(await split(web, 4)).toEqual({ A: 2, B: 2 });
    }, 30000);

    test("health: disable and enable the check of A; show servers state reflects it", async () => {
      expect(await socat(`UNIX-CONNECT:${admin}`, "disable health be/A\n")).toBe("\n");
      let line = (await socat(`UNIX-CONNECT:${admin}`, "show servers state be\n")).split("\n")[2]!.split(" ");
      expect(line[13]).toBe("2"); // configured, not enabled: HAProxy 2.6's value (paused, 8, is maintenance's)
      expect(await socat(`UNIX-CONNECT:${admin}`, "enable health be/A\n")).toBe("\n");
      line = (await socat(`UNIX-CONNECT:${admin}`, "show servers state be\n")).split("\n")[2]!.split(" ");
      expect(line[13]).toBe("6");
      expect(await socat(`UNIX-CONNECT:${admin}`, "enable health be/B\n")).toBe("Health check was not configured on this server, cannot enable.\n\n");
    });

    test("maps: add map reroutes the next request; set, del, show, clear", async () => {
      expect(await get(web, "/", "x.example")).toMatch(/^[AB]$/);
      expect(await socat(`UNIX-CONNECT:${admin}`, `add map ${mapFile} x.example other\n`)).toBe("\n");
      expect(await get(web, "/", "x.example")).toBe("C");
      const list = await socat(`UNIX-CONNECT:${admin}`, "show map\n");
      expect(list).toContain(`0 (${mapFile}) pattern loaded from file '${mapFile}'`);
      expect(await socat(`UNIX-CONNECT:${admin}`, `show map ${mapFile}\n`)).toMatch(/^0x[0-9a-f]+ app\.example be\n0x[0-9a-f]+ x\.example other\n\n$/);
      expect(await socat(`UNIX-CONNECT:${admin}`, `set map ${mapFile} x.example be\n`)).toBe("\n");
      expect(await get(web, "/", "x.example")).toMatch(/^[AB]$/);
      expect(await socat(`UNIX-CONNECT:${admin}`, `add map #0 <<\ny.example other\nz.example other\n\n`)).toBe("\n");
      expect(await get(web, "/", "z.example")).toBe("C");
      expect(await socat(`UNIX-CONNECT:${admin}`, `del map ${mapFile} z.example\n`)).toBe("\n");
      expect(await socat(`UNIX-CONNECT:${admin}`, `del map ${mapFile} z.example\n`)).toBe("Key not found.\n\n");
      expect(await socat(`UNIX-CONNECT:${admin}`, `clear map ${mapFile}\n`)).toBe("\n");
      expect(await socat(`UNIX-CONNECT:${admin}`, `show map ${mapFile}\n`)).toBe("\n");
    });

    test("stick tables: show and clear", async () => {
      await get(web);
      const shown = await socat(`UNIX-CONNECT:${admin}`, "show table be\n");
      expect(shown).toMatch(/^# table: be, type: ip, size:100, used:1\n0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=\d+ http_req_cnt=\d+\n\n$/);
      expect(await socat(`UNIX-CONNECT:${user}`, "show table be\n")).toBe("# table: be, type: ip, size:100, used:1\n# contents not dumped due to insufficient privileges\n\n");
      expect(await socat(tcp, "clear table be key 127.0.0.1\n")).toBe("\n");
      expect(await socat(tcp, "show table\n")).toBe("# table: be, type: ip, size:100, used:0\n\n");
    });

    test("show sess lists a client connection in flight; show stat and show info give the stats figures", async () => {
      const client = net.connect(web, "127.0.0.1");
      await new Promise<void>((r) => client.once("connect", () => r()));
      await sleep(100);
      const sess = await socat(`UNIX-CONNECT:${admin}`, "show sess\n");
      expect(sess).toMatch(new RegExp(`^0x[0-9a-f]+: proto=tcpv4 src=127\\.0\\.0\\.1:${client.localPort} fe=fe be=<NONE> srv=<none> ts=00 age=\\d+s state=idle\n`, "m"));
      client.destroy();
      const csv = await socat(`UNIX-CONNECT:${admin}`, "show stat\n");
      expect(csv.startsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,")).toBe(true);
      expect(csv).toMatch(/^fe,FRONTEND,/m);
      expect(await socat(`UNIX-CONNECT:${admin}`, "show info\n")).toMatch(/^Name: sluice\nVersion: /);
    });

    test("set ssl cert + commit: the next handshake gets the new certificate (openssl s_client)", async () => {
      expect(await subjectSeen(tlsPort, "a.test")).toContain("a.test");
      const payload = readFileSync(pemB, "utf8").trimEnd();
      expect(await socat(`UNIX-CONNECT:${admin}`, `set ssl cert ${pemA} <<\n${payload}\n\n`)).toBe(`Transaction created for certificate ${pemA}!\n\n`);
      expect(await socat(`UNIX-CONNECT:${admin}`, "show ssl cert\n")).toBe(`# transaction\n*${pemA}\n# filename\n${pemA}\n\n`);
      expect(await socat(`UNIX-CONNECT:${admin}`, `abort ssl cert ${pemA}\n`)).toBe(`Transaction aborted for certificate '${pemA}'!\n\n`);
      expect(await subjectSeen(tlsPort, "a.test")).toContain("a.test");
      await socat(`UNIX-CONNECT:${admin}`, `set ssl cert ${pemA} <<\n${payload}\n\n`);
      expect(await socat(`UNIX-CONNECT:${admin}`, `commit ssl cert ${pemA}\n`)).toBe(`Committing ${pemA}.\nSuccess!\n\n`);
      expect(await subjectSeen(tlsPort, "b.test")).toContain("b.test");
    }, 30000);

    test("stops: the unix socket files are gone", async () => {
      expect(await stopSluice(run)).toBe(0);
      const { existsSync } = await import("node:fs");
      expect(existsSync(admin)).toBe(false);
    }, 20000);
  });
}
