// The server-side HTTP/2 mux and the multiplexed session, over the in-memory
// runtime: what a client's frames make the proxy write, frame by frame, with
// HTTP/1.1 servers behind (mem sockets answered by the test) and time moved
// by the virtual clock. The state machine (streams, windows, trailers, 1xx,
// §8.3.1), the errors of §5.4, and the timeouts of one stream and of the
// connection. The defences have their own file (server-defences.test.ts).
import { afterEach, describe, expect, test } from "bun:test";
import type { Proxy } from "../../../src/core/proxy.ts";
import { ErrorCode, FrameType, SettingId } from "../../../src/http2/constants.ts";
import * as write from "../../../src/http2/frame-writer.ts";
import { answer, H2MemClient, h2Config, ok, sentTo } from "../../support/h2-mem-client.ts";
import { memProxyConfig, memRuntime } from "../../support/mem-runtime.ts";
import type { TlsFacts } from "../../../src/runtime/types.ts";

const enc = new TextEncoder();

let proxy: Proxy | undefined;
let clock: { advance(ms: number): Promise<void> } | undefined;
afterEach(async () => {
  // Stopped on the virtual clock: the hard stop is a timer of it.
  const stopped = proxy?.stop(10);
  await clock?.advance(20);
  await stopped;
  proxy = undefined;
});

async function setup(extraGlobal = "", extraDefaults = "", bindOptions?: string, tls?: TlsFacts) {
  const runtime = memRuntime({ keep: true });
  clock = runtime.clock;
  proxy = await memProxyConfig(runtime, h2Config(extraGlobal, extraDefaults, bindOptions), { strictOwnership: true });
  const client = new H2MemClient(runtime, 40000, tls);
  client.preface();
  const turn = () => runtime.clock.settle();
  await turn();
  return { runtime, client, turn };
}

describe("preface and SETTINGS", () => {
  test("the server's SETTINGS carry the configured limits, the client's SETTINGS and PING are acknowledged", async () => {
    const { client, turn } = await setup("    tune.h2.fe.max-concurrent-streams 7\n    tune.h2.initial-window-size 100000\n    tune.h2.header-table-size 1024");
    const settings = client.of(FrameType.SETTINGS);
    const first = settings[0]!;
    if (first.type !== FrameType.SETTINGS) throw new Error("no SETTINGS");
    expect(first.ack).toBe(false);
    expect(first.settings).toContainEqual([SettingId.MAX_CONCURRENT_STREAMS, 7]);
    expect(first.settings).toContainEqual([SettingId.INITIAL_WINDOW_SIZE, 100000]);
    expect(first.settings).toContainEqual([SettingId.HEADER_TABLE_SIZE, 1024]);
    expect(settings.some((f) => f.type === FrameType.SETTINGS && f.ack)).toBe(true);
    client.send(write.ping(enc.encode("12345678")));
    await turn();
    const pong = client.of(FrameType.PING).at(-1)!;
    expect(pong.type === FrameType.PING && pong.ack && new TextDecoder().decode(pong.data)).toBe("12345678");
  });

  test("a connection that does not begin with the preface gets GOAWAY PROTOCOL_ERROR", async () => {
    const runtime = memRuntime({ keep: true });
    clock = runtime.clock;
    proxy = await memProxyConfig(runtime, h2Config(), { strictOwnership: true });
    const client = new H2MemClient(runtime);
    client.send(enc.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await runtime.clock.settle();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.socket.ended).toBe(true);
  });
});

describe("requests to an HTTP/1.1 server", () => {
  test("a GET: :authority becomes Host, the answer comes back as HEADERS and DATA with END_STREAM", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/hello?x=1");
    await turn();
    const server = runtime.servers[0]!;
    expect(sentTo(server)).toStartWith("GET /hello?x=1 HTTP/1.1\r\nhost: example.test\r\n");
    answer(server, ok("hi there", "X-Thing: Yes\r\nConnection: keep-alive\r\n"));
    await turn();
    expect(client.statuses(1)).toEqual(["200"]);
    const head = client.of(FrameType.HEADERS, 1)[0]!.fields!;
    expect(head).toContainEqual(["x-thing", "Yes"]);
    expect(head.some(([n]) => n === "connection")).toBe(false);
    expect(client.body(1)).toBe("hi there");
    expect(client.ended(1)).toBe(true);
  });

  test("many streams at once, each on its own server connection, answered in any order", async () => {
    const { runtime, client, turn } = await setup();
    for (const id of [1, 3, 5, 7]) client.request(id, `/s${id}`);
    await turn();
    expect(runtime.servers.length).toBe(4);
    // Answered last first: each response reaches its own stream.
    for (const server of [...runtime.servers].reverse()) {
      const path = sentTo(server).split(" ")[1]!;
      answer(server, ok(`answer ${path}`));
    }
    await turn();
    for (const id of [1, 3, 5, 7]) {
      expect(client.body(id)).toBe(`answer /s${id}`);
      expect(client.ended(id)).toBe(true);
    }
  });

  test("a body without content-length goes chunked with its trailers; the server's chunked answer comes back with trailers", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/up", false);
    client.send(write.data(1, enc.encode("part one,"), false));
    client.send(write.data(1, enc.encode("part two"), false));
    client.send(client.headers(1, [["x-checksum", "abc"]], true));
    await turn();
    const server = runtime.servers[0]!;
    const sent = sentTo(server);
    expect(sent).toContain("Transfer-Encoding: chunked\r\n");
    expect(sent).toEndWith("9\r\npart one,\r\n8\r\npart two\r\n0\r\nx-checksum: abc\r\n\r\n");
    answer(server, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n5\r\nhello\r\n0\r\ngrpc-status: 0\r\n\r\n");
    await turn();
    expect(client.body(1)).toBe("hello");
    const heads = client.of(FrameType.HEADERS, 1);
    expect(heads.length).toBe(2);
    const trailers = heads[1]!;
    expect(trailers.type === FrameType.HEADERS && trailers.endStream).toBe(true);
    expect(trailers.fields).toEqual([["grpc-status", "0"]]);
  });

  test("a 103 Early Hints is relayed before the final answer", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/hints");
    await turn();
    answer(runtime.servers[0]!, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + ok("done"));
    await turn();
    expect(client.statuses(1)).toEqual(["103", "200"]);
    expect(client.of(FrameType.HEADERS, 1)[0]!.fields).toContainEqual(["link", "</s.css>; rel=preload"]);
  });

  test("a HEAD answer ends with its HEADERS frame", async () => {
    const { runtime, client, turn } = await setup();
    client.send(client.headers(1, [[":method", "HEAD"], [":scheme", "http"], [":authority", "a"], [":path", "/"]], true));
    await turn();
    answer(runtime.servers[0]!, "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
    await turn();
    const head = client.of(FrameType.HEADERS, 1)[0]!;
    expect(head.type === FrameType.HEADERS && head.endStream).toBe(true);
    expect(head.fields).toContainEqual(["content-length", "42"]);
    expect(client.of(FrameType.DATA, 1).length).toBe(0);
  });

  test("a Host field without :authority is kept; cookies are joined for the HTTP/1.1 server", async () => {
    const { runtime, client, turn } = await setup();
    client.send(client.headers(1, [[":method", "GET"], [":scheme", "http"], [":path", "/"], ["host", "h.test"], ["cookie", "a=1"], ["cookie", "b=2"]], true));
    await turn();
    const sent = sentTo(runtime.servers[0]!);
    expect(sent).toContain("host: h.test\r\n");
    expect(sent).toContain("cookie: a=1; b=2\r\n");
  });

  test("CONNECT is answered 501 without asking a server", async () => {
    const { runtime, client, turn } = await setup();
    client.send(client.headers(1, [[":method", "CONNECT"], [":authority", "example.test:443"]], false));
    await turn();
    expect(client.statuses(1)).toEqual(["501"]);
    expect(client.ended(1)).toBe(true);
    expect(runtime.servers.length).toBe(0);
  });

  test("a server that cannot be reached: 503 on that stream, the connection goes on", async () => {
    const { runtime, client, turn } = await setup();
    runtime.connectOutcome = "refuse";
    client.request(1, "/a");
    await turn();
    await turn();
    expect(client.statuses(1)).toEqual(["503"]);
    runtime.connectOutcome = "open";
    client.request(3, "/b");
    await turn();
    answer(runtime.servers[0]!, ok("b"));
    await turn();
    expect(client.body(3)).toBe("b");
    expect(client.goaway()).toBeUndefined();
  });
});

describe("malformed requests are stream errors of type PROTOCOL_ERROR (§8.1.1); the connection goes on", () => {
  const cases: [string, [string, string][]][] = [
    ["an upper-case field name", [["X-Upper", "1"]]],
    ["a connection-specific field", [["connection", "keep-alive"]]],
    ["transfer-encoding", [["transfer-encoding", "chunked"]]],
    ["te other than trailers", [["te", "gzip"]]],
    ["host differing from :authority", [["host", "other.test"]]],
  ];
  for (const [what, extra] of cases) {
    test(what, async () => {
      const { runtime, client, turn } = await setup();
      client.request(1, "/", true, extra);
      client.request(3, "/fine");
      await turn();
      expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(runtime.servers.length).toBe(1);
      expect(sentTo(runtime.servers[0]!)).toStartWith("GET /fine ");
    });
  }

  const pseudo: [string, [string, string][]][] = [
    ["no :path", [[":method", "GET"], [":scheme", "http"], [":authority", "a"]]],
    ["an empty :path", [[":method", "GET"], [":scheme", "http"], [":path", ""]]],
    ["an unknown pseudo-header", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":foo", "x"]]],
    ["a pseudo-header after a regular field", [[":method", "GET"], [":scheme", "http"], ["accept", "*/*"], [":path", "/"]]],
    ["a response pseudo-header", [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":status", "200"]]],
    ["two :method", [[":method", "GET"], [":method", "GET"], [":scheme", "http"], [":path", "/"]]],
    // A fragment never travels (RFC 9112 §3.2, refused on HTTP/1.1 as well): HAProxy resets the stream too.
    ["a :path with a fragment", [[":method", "GET"], [":scheme", "http"], [":path", "/echo#frag"]]],
    ["a :path with a query and a fragment", [[":method", "GET"], [":scheme", "http"], [":path", "/a?x#y"]]],
    ["a :path with a space", [[":method", "GET"], [":scheme", "http"], [":path", "/a b"]]],
  ];
  for (const [what, fields] of pseudo) {
    test(what, async () => {
      const { runtime, client, turn } = await setup();
      client.send(client.headers(1, fields, true));
      await turn();
      expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
      expect(runtime.servers.length).toBe(0);
      expect(client.goaway()).toBeUndefined();
    });
  }

  test("a field entered in the HPACK table by a refused request is checked again, and refused, when referenced", async () => {
    const { runtime, client, turn } = await setup();
    // The client's encoder enters both fields in its table and in ours; the later requests name them by index.
    client.request(1, "/", true, [["x-good", "1"], ["x-bad", " leading space"]]);
    client.request(3, "/", true, [["x-bad", " leading space"]]);
    client.request(5, "/good", true, [["x-good", "1"]]);
    client.request(7, "/again", true, [["x-good", "1"], ["transfer-encoding", "chunked"]]);
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.rst(3)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.rst(7)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(runtime.servers.length).toBe(1);
    expect(sentTo(runtime.servers[0]!)).toStartWith("GET /good ");
    expect(sentTo(runtime.servers[0]!)).toContain("x-good: 1\r\n");
    expect(client.goaway()).toBeUndefined();
  });

  test("DATA beyond the content-length", async () => {
    const { client, turn } = await setup();
    client.request(1, "/", false, [["content-length", "3"]]);
    client.send(write.data(1, enc.encode("four"), true));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("END_STREAM before the content-length is reached", async () => {
    const { client, turn } = await setup();
    client.request(1, "/", false, [["content-length", "10"]]);
    client.send(write.data(1, enc.encode("four"), true));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
  });
});

describe("stream states and errors (§5.1, §5.4)", () => {
  test("HEADERS on an even stream id: GOAWAY PROTOCOL_ERROR", async () => {
    const { client, turn } = await setup();
    client.request(2, "/");
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("DATA on an idle stream: GOAWAY PROTOCOL_ERROR", async () => {
    const { client, turn } = await setup();
    client.send(write.data(5, enc.encode("x"), true));
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("DATA after END_STREAM: RST_STREAM STREAM_CLOSED", async () => {
    const { client, turn } = await setup();
    client.request(1, "/");
    client.send(write.data(1, enc.encode("late"), true));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.STREAM_CLOSED);
  });

  test("a stream id lower than one opened before: GOAWAY PROTOCOL_ERROR", async () => {
    const { client, turn } = await setup();
    client.request(5, "/");
    client.request(3, "/");
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("streams above tune.h2.fe.max-concurrent-streams are refused (REFUSED_STREAM)", async () => {
    const { runtime, client, turn } = await setup("    tune.h2.fe.max-concurrent-streams 2");
    client.request(1, "/a");
    client.request(3, "/b");
    client.request(5, "/c");
    await turn();
    expect(client.rst(5)).toBe(ErrorCode.REFUSED_STREAM);
    expect(runtime.servers.length).toBe(2);
  });

  test("PRIORITY frames are ignored, on idle streams too", async () => {
    const { client, turn } = await setup();
    client.send(write.priority(9, { exclusive: false, dependency: 0, weight: 16 }));
    client.send(write.priority(11, { exclusive: true, dependency: 9, weight: 200 }));
    await turn();
    expect(client.goaway()).toBeUndefined();
    expect(client.of(FrameType.RST_STREAM).length).toBe(0);
  });

  test("RST_STREAM from the client cancels the server side: its connection closes", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/slow");
    await turn();
    const server = runtime.servers[0]!;
    expect(server.closed).toBe(false);
    client.send(write.rstStream(1, ErrorCode.CANCEL));
    await turn();
    expect(server.closed).toBe(true);
    expect(client.goaway()).toBeUndefined();
  });
});

describe("more of §5 and §6, answered as the RFC says", () => {
  const GET = (path: string): [string, string][] => [[":method", "GET"], [":scheme", "http"], [":authority", "a"], [":path", path]];

  test("a PRIORITY frame of the wrong size: RST_STREAM FRAME_SIZE_ERROR, the connection goes on", async () => {
    const { client, turn } = await setup();
    client.send(write.rawFrame(FrameType.PRIORITY, 0, 3, new Uint8Array(4)));
    client.request(5, "/after");
    await turn();
    expect(client.rst(3)).toBe(ErrorCode.FRAME_SIZE_ERROR);
    expect(client.goaway()).toBeUndefined();
  });

  test("WINDOW_UPDATE of 0 on a stream: RST_STREAM PROTOCOL_ERROR; beyond 2^31-1: FLOW_CONTROL_ERROR (stream), GOAWAY (connection)", async () => {
    const { client, turn } = await setup();
    client.request(1, "/a");
    client.request(3, "/b");
    client.send(write.rawFrame(FrameType.WINDOW_UPDATE, 0, 1, new Uint8Array(4)));
    client.send(write.windowUpdate(3, 0x7fffffff));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.rst(3)).toBe(ErrorCode.FLOW_CONTROL_ERROR);
    expect(client.goaway()).toBeUndefined();
    client.send(write.windowUpdate(0, 0x7fffffff));
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.FLOW_CONTROL_ERROR);
  });

  test("HEADERS on a stream the client reset: GOAWAY STREAM_CLOSED", async () => {
    const { client, turn } = await setup();
    client.request(1, "/a");
    client.send(write.rstStream(1, ErrorCode.CANCEL));
    client.request(1, "/again");
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.STREAM_CLOSED);
  });

  test("DATA still in flight on a stream sluice reset is ignored", async () => {
    const { client, turn } = await setup();
    client.request(1, "/", false, [["X-Bad", "1"]]);
    client.send(write.data(1, enc.encode("late"), true));
    client.request(3, "/fine");
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.goaway()).toBeUndefined();
  });

  test("trailers with a pseudo-header, or a second HEADERS without END_STREAM: RST_STREAM PROTOCOL_ERROR", async () => {
    const { client, turn } = await setup();
    client.request(1, "/t", false);
    client.send(client.headers(1, [[":path", "/x"]], true));
    client.request(3, "/t", false);
    client.send(client.headers(3, [["x-t", "1"]], false));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.rst(3)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(client.goaway()).toBeUndefined();
  });

  test("a HEADERS frame that depends on its own stream: RST_STREAM PROTOCOL_ERROR", async () => {
    const { client, turn } = await setup();
    client.send(write.headers(1, client.block(GET("/self")), true, 16384, { exclusive: false, dependency: 1, weight: 16 }));
    await turn();
    expect(client.rst(1)).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("a header block HPACK cannot decode: GOAWAY COMPRESSION_ERROR", async () => {
    const { client, turn } = await setup();
    // Indexed field 70: beyond the static table and an empty dynamic one.
    client.send(write.headers(1, new Uint8Array([0x82, 0x86, 0x84, 0xc6]), true));
    await turn();
    expect(client.goaway()?.errorCode).toBe(ErrorCode.COMPRESSION_ERROR);
  });

  test("SETTINGS_INITIAL_WINDOW_SIZE raised after an answer waited: the held DATA goes", async () => {
    const { runtime, client, turn } = await setup();
    client.send(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 0]]));
    client.request(1, "/w");
    await turn();
    answer(runtime.servers[0]!, ok("twelve bytes"));
    await turn();
    expect(client.body(1)).toBe("");
    client.send(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 5]]));
    await turn();
    expect(client.body(1)).toBe("twelv");
    client.send(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 100]]));
    await turn();
    expect(client.body(1)).toBe("twelve bytes");
    expect(client.ended(1)).toBe(true);
  });
});

describe("flow control", () => {
  test("a stream's window is given back only as its server takes the body", async () => {
    const { runtime, client, turn } = await setup();
    // No server connection yet: the body waits in sluice, its window is not given back.
    runtime.connectOutcome = "hang";
    client.request(1, "/up", false, [["content-length", "60000"]]);
    client.send(write.data(1, new Uint8Array(40000), false));
    await turn();
    expect(client.of(FrameType.WINDOW_UPDATE, 1).length).toBe(0);
    // Another stream's body is not held back by it.
    runtime.connectOutcome = "open";
    client.request(3, "/other", false, [["content-length", "40000"]]);
    client.send(write.data(3, new Uint8Array(39000), false));
    await turn();
    // Its body waited for its connection; once the connection took it, its window came back in one update.
    const updates = client.of(FrameType.WINDOW_UPDATE, 3);
    expect(updates.map((f) => (f.type === FrameType.WINDOW_UPDATE ? f.increment : 0))).toEqual([39000]);
    expect(runtime.servers.at(-1)!.written).toBeGreaterThanOrEqual(39000);
    expect(client.of(FrameType.WINDOW_UPDATE, 1).length).toBe(0);
  });

  test("an answer larger than the client's window waits for WINDOW_UPDATE; another stream is not held back", async () => {
    const { runtime, client, turn } = await setup();
    client.send(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 1000]]));
    client.request(1, "/big");
    client.request(3, "/small");
    await turn();
    const [big, small] = runtime.servers;
    answer(big!, ok("x".repeat(5000)));
    answer(small!, ok("small"));
    await turn();
    expect(client.body(1).length).toBe(1000);
    expect(client.body(3)).toBe("small");
    expect(client.ended(3)).toBe(true);
    client.send(write.windowUpdate(1, 10000));
    await turn();
    expect(client.body(1).length).toBe(5000);
    expect(client.ended(1)).toBe(true);
  });
});

describe("timeouts", () => {
  test("an idle connection with no stream: GOAWAY NO_ERROR after timeout client", async () => {
    const { runtime, client } = await setup();
    await runtime.clock.advance(29_000);
    expect(client.goaway()).toBeUndefined();
    await runtime.clock.advance(1_500);
    expect(client.goaway()).toEqual({ lastStreamId: 0, errorCode: ErrorCode.NO_ERROR });
    expect(client.socket.ended).toBe(true);
  });

  // HAProxy's HTTP/2 idle timeouts: http-request before the first request, http-keep-alive after one
  // (else http-request), client when unset; from the end of the last stream.
  test("no request yet: GOAWAY after timeout http-request, even when longer than timeout client", async () => {
    const { runtime, client } = await setup("", "    timeout http-request 40s");
    await runtime.clock.advance(39_000);
    expect(client.goaway()).toBeUndefined();
    await runtime.clock.advance(1_500);
    expect(client.goaway()).toEqual({ lastStreamId: 0, errorCode: ErrorCode.NO_ERROR });
  });

  test("no stream left after a request: GOAWAY after timeout http-keep-alive, counted from the end of the last stream", async () => {
    const { runtime, client, turn } = await setup("", "    timeout http-request 10s\n    timeout http-keep-alive 2s");
    client.request(1, "/one");
    await turn();
    await runtime.clock.advance(5_000); // the stream's own time counts for none of the idle timeouts
    answer(runtime.servers[0]!, ok("one"));
    await turn();
    expect(client.body(1)).toBe("one");
    await runtime.clock.advance(1_500);
    expect(client.goaway()).toBeUndefined();
    await runtime.clock.advance(1_000);
    expect(client.goaway()).toEqual({ lastStreamId: 1, errorCode: ErrorCode.NO_ERROR });
  });

  test("idle after a request: PINGs and SETTINGS from the client do not hold it past timeout http-keep-alive (HAProxy's idle_start)", async () => {
    const { runtime, client, turn } = await setup("", "    timeout http-keep-alive 2s");
    client.request(1, "/one");
    await turn();
    answer(runtime.servers[0]!, ok("one"));
    await turn();
    for (let i = 0; i < 3; i++) {
      await runtime.clock.advance(700);
      client.send(write.ping(enc.encode(`ping000${i}`)));
      await turn();
    }
    expect(client.goaway()).toEqual({ lastStreamId: 1, errorCode: ErrorCode.NO_ERROR });
  });

  test("after a request without timeout http-keep-alive: timeout http-request; with neither, timeout client", async () => {
    const withRequest = await setup("", "    timeout http-request 3s");
    withRequest.client.request(1, "/one");
    await withRequest.turn();
    answer(withRequest.runtime.servers[0]!, ok("one"));
    await withRequest.turn();
    await withRequest.runtime.clock.advance(2_500);
    expect(withRequest.client.goaway()).toBeUndefined();
    await withRequest.runtime.clock.advance(1_000);
    expect(withRequest.client.goaway()?.lastStreamId).toBe(1);

    const bare = await setup();
    bare.client.request(1, "/one");
    await bare.turn();
    answer(bare.runtime.servers[0]!, ok("one"));
    await bare.turn();
    await bare.runtime.clock.advance(29_000);
    expect(bare.client.goaway()).toBeUndefined();
    await bare.runtime.clock.advance(1_500);
    expect(bare.client.goaway()?.lastStreamId).toBe(1);
  });

  test("timeout server is per stream: a silent server gets its stream a 504, the other stream is answered", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/silent");
    await turn();
    await runtime.clock.advance(10_000);
    client.request(3, "/fast");
    await turn();
    answer(runtime.servers[1]!, ok("fast"));
    await turn();
    expect(client.body(3)).toBe("fast");
    await runtime.clock.advance(10_500);
    expect(client.statuses(1)).toEqual(["504"]);
    expect(client.goaway()).toBeUndefined();
  });

  // As HAProxy: NO_ERROR once the client sent its whole request (gRPC reads INTERNAL, not its own CANCELLED),
  // CANCEL while it was still sending.
  test("an answer cut mid-body (the server went away): RST_STREAM NO_ERROR after a whole request, CANCEL during one", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/whole");
    client.request(3, "/sending", false, [["content-length", "10"]]);
    client.send(write.data(3, enc.encode("12345"), false));
    await turn();
    for (const server of runtime.servers) {
      answer(server, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
      server.events.close();
    }
    await turn();
    expect(client.statuses(1)).toEqual(["200"]);
    expect(client.rst(1)).toBe(ErrorCode.NO_ERROR);
    expect(client.statuses(3)).toEqual(["200"]);
    expect(client.rst(3)).toBe(ErrorCode.CANCEL);
    expect(client.goaway()).toBeUndefined();
  });

  test("zero-window hold: an answer the client never lets through is reset after timeout client", async () => {
    const { runtime, client, turn } = await setup();
    client.send(write.settings([[SettingId.INITIAL_WINDOW_SIZE, 0]]));
    client.request(1, "/held");
    await turn();
    answer(runtime.servers[0]!, ok("never sent"));
    await turn();
    expect(client.statuses(1)).toEqual(["200"]);
    await runtime.clock.advance(29_000);
    expect(client.rst(1)).toBeUndefined();
    await runtime.clock.advance(1_500);
    expect(client.rst(1)).toBe(ErrorCode.CANCEL);
  });

  test("a header block left open (CONTINUATION never sent) ends the connection after timeout http-request", async () => {
    const { runtime, client, turn } = await setup("", "    timeout http-request 5s");
    const block = client.block([[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "a"]]);
    client.send(write.rawFrame(FrameType.HEADERS, 0x1, 1, block));
    await turn();
    await runtime.clock.advance(5_500);
    expect(client.goaway()?.errorCode).toBe(ErrorCode.NO_ERROR);
    expect(client.socket.ended).toBe(true);
  });
});

describe("graceful stop", () => {
  const MAX_ID = 0x7fffffff;
  const goaways = (client: H2MemClient) =>
    client.of(FrameType.GOAWAY).map((f) => (f.type === FrameType.GOAWAY ? { lastStreamId: f.lastStreamId, errorCode: f.errorCode } : undefined));
  /** Answers the shutdown's PING as a client does. */
  const answerPing = (client: H2MemClient) => {
    const ping = client.of(FrameType.PING).find((f) => f.type === FrameType.PING && !f.ack)!;
    if (ping.type !== FrameType.PING) throw new Error("no PING");
    client.send(write.ping(ping.data, true));
  };

  test("an idle connection: GOAWAY (2^31-1) and a PING, the final GOAWAY once the PING is answered, then closed; a client that never closes its side is cut after timeout client", async () => {
    const { runtime, client, turn } = await setup();
    const stopped = proxy!.stop(60_000);
    await turn();
    expect(goaways(client)).toEqual([{ lastStreamId: MAX_ID, errorCode: ErrorCode.NO_ERROR }]);
    expect(client.socket.ended).toBe(false);
    answerPing(client);
    await turn();
    expect(goaways(client)).toEqual([
      { lastStreamId: MAX_ID, errorCode: ErrorCode.NO_ERROR },
      { lastStreamId: 0, errorCode: ErrorCode.NO_ERROR },
    ]);
    expect(client.socket.ended).toBe(true);
    expect(client.socket.closed).toBe(false);
    await runtime.clock.advance(30_500);
    expect(client.socket.closed).toBe(true);
    await stopped;
    proxy = undefined;
  });

  test("a stream the client sent before it saw the GOAWAY is served; one after the final GOAWAY is not taken; the connection closes when they end", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/in-flight");
    await turn();
    const stopped = proxy!.stop(60_000);
    await turn();
    expect(client.goaway()).toEqual({ lastStreamId: MAX_ID, errorCode: ErrorCode.NO_ERROR });
    // Already on its way when the first GOAWAY left: taken, not refused.
    client.request(3, "/crossing");
    answerPing(client);
    await turn();
    expect(client.goaway()).toEqual({ lastStreamId: 3, errorCode: ErrorCode.NO_ERROR });
    expect(runtime.servers.length).toBe(2);
    // A stream opened after the final GOAWAY is not taken.
    client.request(5, "/late");
    await turn();
    expect(runtime.servers.length).toBe(2);
    expect(client.socket.ended).toBe(false);
    answer(runtime.servers[0]!, ok("finished"));
    answer(runtime.servers[1]!, ok("crossed"));
    await turn();
    expect(client.body(1)).toBe("finished");
    expect(client.body(3)).toBe("crossed");
    expect(client.socket.ended).toBe(true);
    client.socket.destroy();
    await stopped;
    proxy = undefined;
  });

  test("a client that does not answer the PING gets the final GOAWAY a second later", async () => {
    const { runtime, client, turn } = await setup();
    const stopped = proxy!.stop(60_000);
    await turn();
    expect(goaways(client).length).toBe(1);
    await runtime.clock.advance(999);
    expect(goaways(client).length).toBe(1);
    await runtime.clock.advance(2);
    expect(goaways(client).at(-1)).toEqual({ lastStreamId: 0, errorCode: ErrorCode.NO_ERROR });
    expect(client.socket.ended).toBe(true);
    client.socket.destroy();
    await stopped;
    proxy = undefined;
  });
});

describe("which mux", () => {
  test("a TLS socket whose ALPN chose h2 speaks HTTP/2 on a bind without proto h2", async () => {
    const tls: TlsFacts = { alpn: "h2", sni: "example.test", version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", handshakeMs: 1 };
    const { runtime, client, turn } = await setup("", "", "", tls);
    client.request(1, "/over-tls");
    await turn();
    answer(runtime.servers[0]!, ok("secure"));
    await turn();
    expect(client.body(1)).toBe("secure");
  });
});

describe("ownership: the session is the owner of what its streams hold", () => {
  test("http-reuse never: streams in flight hold a connection each, all private to the session, all closed when it ends", async () => {
    const { runtime, client, turn } = await setup("", "    http-reuse never");
    for (const id of [1, 3, 5]) client.request(id, `/p${id}`);
    await turn();
    expect(runtime.servers.length).toBe(3);
    const rows = proxy!.connections();
    expect(rows.length).toBe(3);
    expect(new Set(rows.map((r) => r.owner)).size).toBe(1);
    expect(rows[0]!.owner).not.toBeNull();
    for (const s of runtime.servers) answer(s, ok("x"));
    await turn();
    client.socket.destroy();
    await turn();
    expect(runtime.servers.every((s) => s.closed)).toBe(true);
  });

  test("NTLM over an HTTP/1.1 server: the challenged connection is the session's; its next stream goes on it", async () => {
    const { runtime, client, turn } = await setup();
    client.request(1, "/auth");
    await turn();
    const server = runtime.servers[0]!;
    answer(server, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM TlRMTVNTUAACAAAA\r\nContent-Length: 0\r\n\r\n");
    await turn();
    expect(client.statuses(1)).toEqual(["401"]);
    client.request(3, "/auth", true, [["authorization", "NTLM TlRMTVNTUAADAAAA"]]);
    await turn();
    expect(runtime.servers.length).toBe(1);
    expect(sentTo(server)).toContain("authorization: NTLM TlRMTVNTUAADAAAA");
    const [row] = proxy!.connections();
    expect(row!.state).toBe("in-use");
    expect(row!.owner).not.toBeNull();
  });
});
