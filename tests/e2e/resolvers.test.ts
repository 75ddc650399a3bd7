// `resolvers` sections at run time, on every target, against a DNS server
// written here (UDP on loopback, A records from a table the test changes):
// a server named by a host name takes the address the nameserver gives
// (AAAA asked first, HAProxy's default preference, then A), traffic moves
// when the answer changes, NXDOMAIN keeps the last address for `hold nx`
// then puts the server in maintenance, and a name that resolves again
// brings it back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as dgram from "node:dgram";
import net from "node:net";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

/** The test's nameserver: name → IPv4 addresses, or "nx". Every question it was asked, in order. */
const zone = new Map<string, string[] | "nx">();
const asked: { name: string; type: number; ednsSize: number; answer: string }[] = [];
let dns: dgram.Socket;
let dnsPort = 0;

function readQuestion(q: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let at = 12;
  while (q[at]! !== 0) {
    labels.push(q.subarray(at + 1, at + 1 + q[at]!).toString("latin1"));
    at += 1 + q[at]!;
  }
  return { name: labels.join("."), type: q.readUInt16BE(at + 1), end: at + 5 };
}

/** RFC 1035 answer: the question echoed, A records by a pointer to it, NXDOMAIN for "nx". */
function answer(q: Buffer): Buffer {
  const { name, type, end } = readQuestion(q);
  const arcount = q.readUInt16BE(10);
  const ednsSize = arcount > 0 && q.readUInt16BE(end + 1) === 41 ? q.readUInt16BE(end + 3) : 0;
  const entry = zone.get(name);
  const nx = entry === undefined || entry === "nx";
  const records = !nx && type === 1 ? (entry as string[]) : [];
  asked.push({ name, type, ednsSize, answer: nx ? "nx" : records.join(",") });
  const head = Buffer.alloc(12);
  head.writeUInt16BE(q.readUInt16BE(0), 0);
  head.writeUInt16BE(0x8180 | (nx ? 3 : 0), 2); // QR, RD, RA; RCODE
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(records.length, 6);
  const rrs = records.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(1, 6);
    rr.writeUInt16BE(4, 10);
    ip.split(".").forEach((b, i) => (rr[12 + i] = Number(b)));
    return rr;
  });
  return Buffer.concat([head, q.subarray(12, end), ...rrs]);
}

/** A TCP server that sends its name and closes, on `host`. */
function nameServer(name: string, host: string, port: number): Promise<net.Server> {
  const server = net.createServer((s) => s.end(name));
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

function reply(port: number): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const s = net.connect(port, "127.0.0.1");
    s.on("data", (d) => (text += d));
    s.on("close", () => resolve(text));
    s.on("error", () => resolve(text));
  });
}

let appPort = 0;
const servers: net.Server[] = [];
beforeAll(async () => {
  dns = dgram.createSocket("udp4");
  dns.on("message", (q, from) => dns.send(answer(q), from.port, from.address));
  await new Promise<void>((r) => dns.bind(0, "127.0.0.1", () => r()));
  dnsPort = dns.address().port;
  appPort = await freePort();
  servers.push(await nameServer("A", "127.0.0.1", appPort), await nameServer("B", "127.0.0.2", appPort));
});
afterAll(async () => {
  dns.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

for (const target of selectedTargets()) {
  describe(`resolvers (${target.name})`, () => {
    let run: Run | undefined;
    const logged = (re: RegExp) => run!.errLines.some((l) => re.test(l));

    test("the name's address follows the nameserver: traffic moves with the answer; NXDOMAIN after hold nx is maintenance; resolving again brings it back", async () => {
      zone.set("app.test", ["127.0.0.1"]);
      asked.length = 0;
      const port = await freePort();
      run = await startSluice(target, `resolvers dns
    nameserver ns1 127.0.0.1:${dnsPort}
    resolve_retries 2
    timeout resolve 100ms
    timeout retry 100ms
    hold valid 200ms
    hold nx 500ms
    accepted_payload_size 8192
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${port}
    default_backend be
backend be
    server s app.test:${appPort} resolvers dns init-addr none
`);
      try {
        await waitFor(() => logged(/Server be\/s \('app\.test'\) is UP\/READY \(resolves again\)\./), 5000, "the first answer").catch((e) => {
          throw new Error(`${e}\nasked: ${JSON.stringify(asked)}\n${run!.errLines.join("\n")}`);
        });
        // HAProxy's default preference: AAAA first (none here), then A; EDNS0 announces the payload size.
        expect(asked.slice(0, 2).map((q) => q.type)).toEqual([28, 1]);
        expect(asked[0]!.ednsSize).toBe(8192);
        expect(await reply(port)).toBe("A");

        zone.set("app.test", ["127.0.0.2"]);
        await waitFor(() => logged(/be\/s changed its IP from 127\.0\.0\.1 to 127\.0\.0\.2 by dns\/ns1\./), 5000, "the new address");
        expect(await reply(port)).toBe("B");

        zone.set("app.test", "nx");
        const nxFrom = asked.length;
        await waitFor(() => logged(/Server be\/s is going DOWN for maintenance \(DNS NX status\)\. 0 active and 0 backup servers left\./), 5000, "maintenance");
        // hold nx 500ms, a query every 100ms: several NXDOMAIN answers came before the server went down.
        expect(asked.slice(nxFrom).filter((q) => q.answer === "nx").length).toBeGreaterThanOrEqual(3);
        expect(await reply(port)).toBe("");

        zone.set("app.test", ["127.0.0.1"]);
        await waitFor(() => run!.errLines.filter((l) => /resolves again/.test(l)).length === 2, 5000, "resolving again");
        expect(await reply(port)).toBe("A");
      } finally {
        await stopSluice(run);
      }
    }, 30000);
  });
}
