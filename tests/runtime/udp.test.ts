// System.openUdp (src/runtime/node-udp.ts): datagrams reach a real socket,
// a host name is resolved once, lines sent before the connect completes are
// kept, a closed sender drops, a receiver that goes away breaks nothing.
// (A name that does not resolve: both runtimes' node:dgram report the
// connect done anyway here, so no test pins what happens then.)
// Under Deno the same module runs in tests/e2e/syslog.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import * as dgram from "node:dgram";
import { openUdp } from "../../src/runtime/node-udp.ts";

const sockets: dgram.Socket[] = [];
afterAll(() => sockets.forEach((s) => s.close()));

async function receiver(): Promise<{ port: number; got: string[]; socket: dgram.Socket }> {
  const socket = dgram.createSocket("udp4");
  sockets.push(socket);
  const got: string[] = [];
  socket.on("message", (m) => got.push(m.toString()));
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
  return { port: socket.address().port, got, socket };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("openUdp", () => {
  test("sends each datagram whole, in order, sent before the connect completed included", async () => {
    const rx = await receiver();
    const sender = openUdp("127.0.0.1", rx.port);
    expect(sender.send(bytes("one\n"))).toBe(true);
    expect(sender.send(bytes("two\n"))).toBe(true);
    await until(() => rx.got.length === 2);
    expect(rx.got).toEqual(["one\n", "two\n"]);
    sender.close();
    expect(sender.send(bytes("three\n"))).toBe(false);
  });

  test("a host name, resolved once", async () => {
    const rx = await receiver();
    const sender = openUdp("localhost", rx.port);
    sender.send(bytes("named"));
    await until(() => rx.got.length === 1);
    expect(rx.got).toEqual(["named"]);
    sender.close();
  });

  test("the receiver gone: sends go on without an error escaping", async () => {
    const rx = await receiver();
    const sender = openUdp("127.0.0.1", rx.port);
    sender.send(bytes("first"));
    await until(() => rx.got.length === 1);
    rx.socket.close();
    sockets.splice(sockets.indexOf(rx.socket), 1);
    for (let i = 0; i < 50; i++) sender.send(bytes(`lost ${i}`));
    await new Promise((r) => setTimeout(r, 100));
    expect(sender.send(bytes("still fine"))).toBe(true);
    sender.close();
  });
});
