// A TCP stream's log line: the record the session layer fills from the stream
// (HAProxy's values for a TCP stream), written through the frontend's compiled
// log-format, or as the tcplog line without one.
import { describe, expect, test } from "bun:test";
import { compileLogFormat } from "../../../src/log/format.ts";
import type { HttpLogRecord } from "../../../src/log/http-log.ts";
import type { Logger } from "../../../src/log/sink.ts";
import { formatTcpLog } from "../../../src/log/tcp-log.ts";
import type { Socket } from "../../../src/runtime/types.ts";
import { TcpLogWriter } from "../../../src/session/tcp-log-writer.ts";
import type { TcpStream } from "../../../src/stream/tcp-stream.ts";

const ACCEPT = Date.UTC(2026, 11, 6, 21, 25, 58, 479);

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = {
    tcp: (r: HttpLogRecord, format?: (r: HttpLogRecord) => string) => lines.push((format ?? formatTcpLog)(r)),
  } as unknown as Logger;
  return { logger, lines };
}

const client = { remoteAddress: "127.0.0.1", remotePort: 49914, localAddress: "127.0.0.1", localPort: 19004 } as Socket;
const socket = (localPort: number) => ({ remoteAddress: "127.0.0.1", remotePort: 19100, localAddress: "127.0.0.1", localPort }) as Socket;
const server = { name: "s1", address: "127.0.0.1", port: 19100, current: 0 };
const backend = { name: "be", servers: [server] };

/** What the writer reads of a stream, as TcpStream has it at its end. */
function stream(over: Record<string, unknown>): TcpStream {
  return {
    id: 3,
    backend,
    server,
    serverConnection: socket(57374),
    tw: 0,
    tc: 0.4,
    began: 1000,
    bytesFromClient: 3,
    bytesToClient: 9,
    cause: "-",
    phase: "-",
    retries: 0,
    srvQueueAhead: 0,
    backendQueueAhead: 0,
    ...over,
  } as unknown as TcpStream;
}

// Every variable HAProxy 2.6 accepts in mode tcp, as sluice's e2e test compares them with HAProxy's own line.
const ALL = "ci=%ci cp=%cp t=%t ft=%ft b=%b s=%s Tw=%Tw Tc=%Tc Tt=%Tt B=%B U=%U ts=%ts tsc=%tsc ac=%ac fc=%fc bc=%bc sc=%sc rc=%rc sq=%sq bq=%bq ST=%ST Th=%Th Td=%Td Tu=%Tu hr=%hr hs=%hs ID=%ID fi=%fi fp=%fp bi=%bi bp=%bp si=%si sp=%sp rt=%rt sslv=%sslv Qci=%{+Q}ci Xci=%{+X}ci end";

describe("TcpLogWriter", () => {
  test("a served stream in a log-format: HAProxy's values (%ST 0, %Th 0, %Td the transfer, %tsc ----, no captures)", () => {
    const { logger, lines } = capture();
    const w = new TcpLogWriter(logger, compileLogFormat(ALL), { active: 1 }, "fmt", () => 1);
    w.stream(client, ACCEPT, stream({}), 1294);
    expect(lines).toEqual([
      "ci=127.0.0.1 cp=49914 t=06/Dec/2026:21:25:58.479 ft=fmt b=be s=s1 Tw=0 Tc=0 Tt=294 B=9 U=3 ts=-- tsc=---- ac=1 fc=1 bc=0 sc=0 rc=0 sq=0 bq=0 " +
      "ST=0 Th=0 Td=294 Tu=294 hr= hs= ID=- fi=127.0.0.1 fp=19004 bi=127.0.0.1 bp=57374 si=127.0.0.1 sp=19100 rt=3 sslv=- Qci=\"127.0.0.1\" Xci=7F000001 end",
    ]);
  });

  test("a server that refused every connect: Tc -1, %Td -1, SC, the retries; no server connection, so no %bi/%bp", () => {
    const { logger, lines } = capture();
    const w = new TcpLogWriter(logger, compileLogFormat(ALL), { active: 1 }, "dead", () => 1);
    w.stream(client, ACCEPT, stream({ serverConnection: undefined, tc: -1, bytesToClient: 0, cause: "S", phase: "C", retries: 3 }), 1007);
    expect(lines[0]).toContain(" Tw=0 Tc=-1 Tt=7 B=0 U=3 ts=SC tsc=SC-- ac=1 fc=1 bc=0 sc=0 rc=3 ");
    expect(lines[0]).toContain(" Td=-1 Tu=7 ");
    expect(lines[0]).toContain(" bi=- bp=- si=127.0.0.1 sp=19100 ");
  });

  test("no server at all: <NOSRV>, Tw and Tc -1, no server address", () => {
    const { logger, lines } = capture();
    const w = new TcpLogWriter(logger, undefined, { active: 2 }, "fe", () => 1);
    w.stream(client, ACCEPT, stream({ server: undefined, serverConnection: undefined, tw: -1, tc: -1, bytesToClient: 0, cause: "S", phase: "C" }), 1000);
    expect(lines).toEqual(["127.0.0.1:49914 [06/Dec/2026:21:25:58.479] fe be/<NOSRV> -1/-1/0 0 SC 2/1/0/0/0 0/0"]);
  });

  test("without a log-format: the tcplog line, the record reused from line to line; logasap marks %Tt and %B", () => {
    const { logger, lines } = capture();
    const w = new TcpLogWriter(logger, undefined, { active: 1 }, "fe", () => 1, true);
    w.stream(client, ACCEPT, stream({}), 1005);
    w.stream(client, ACCEPT, stream({ server: undefined, tc: -1 }), 1000);
    expect(lines).toEqual([
      "127.0.0.1:49914 [06/Dec/2026:21:25:58.479] fe be/s1 0/0/+5 +9 -- 1/1/0/0/0 0/0",
      "127.0.0.1:49914 [06/Dec/2026:21:25:58.479] fe be/<NOSRV> 0/-1/+0 +9 -- 1/1/0/0/0 0/0",
    ]);
  });

  test("a connection the frontend's content rules rejected: logged against the frontend, PR", () => {
    const { logger, lines } = capture();
    // %[expr] samples read the transaction of the rules that rejected it.
    const sample = (expr: string) => (r: { txn: object | undefined }) => (r.txn as Record<string, string> | undefined)?.[expr];
    const w = new TcpLogWriter(logger, compileLogFormat("%ft %b/%s %Tw/%Tc/%Tt %B %U %tsc %[who]", { sample }), { active: 1 }, "ft_tcp", () => 1);
    w.rejected(client, 12, ACCEPT + 12, 5, { who: "rules" });
    expect(lines).toEqual(["ft_tcp ft_tcp/<NOSRV> -1/-1/12 0 5 PR-- rules"]);
  });
});
