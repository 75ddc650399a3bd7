// FrameOutput: a turn's frames leave in one write; the staging buffer is
// reused only once the socket holds nothing of it (Socket.write's contract),
// so bytes a socket kept after a partial write are never overwritten.
import { describe, expect, test } from "bun:test";
import { FrameOutput } from "../../../src/http2/frame-output.ts";
import type { Socket } from "../../../src/runtime/types.ts";

/** A socket that takes everything, or keeps what it is given (as a view) while `full`. */
function fakeSocket() {
  const kept: Uint8Array[] = [];
  const taken: number[][] = [];
  const s = {
    full: false,
    kept,
    taken,
    write(chunk: Uint8Array): boolean {
      if (s.full) {
        kept.push(chunk);
        return false;
      }
      taken.push([...chunk]);
      return true;
    },
  };
  return s;
}

function setup() {
  const socket = fakeSocket();
  const deferred: (() => void)[] = [];
  const out = new FrameOutput(socket as unknown as Socket, { defer: (fn) => void deferred.push(fn), now: () => 0 });
  const endTurn = () => {
    for (const fn of deferred.splice(0)) fn();
  };
  return { socket, out, endTurn };
}

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

describe("FrameOutput", () => {
  test("the frames of a turn leave in one write, in order; written in place or copied", () => {
    const { socket, out, endTurn } = setup();
    out.send(bytes(3, 1));
    const buf = out.reserve(2);
    buf[out.end] = 7;
    buf[out.end + 1] = 8;
    out.commit(out.end + 2);
    out.send(bytes(1, 2));
    expect(socket.taken).toEqual([]);
    endTurn();
    expect(socket.taken).toEqual([[1, 1, 1, 7, 8, 2]]);
    out.send(bytes(2, 3));
    endTurn();
    expect(socket.taken[1]).toEqual([3, 3]);
  });

  test("a turn larger than the staging buffer grows it, its earlier frames moved along; flags set by mark still land", () => {
    const { socket, out, endTurn } = setup();
    out.send(bytes(9, 0));
    const mark = out.mark;
    out.send(bytes(9, 0));
    out.send(bytes(40_000, 5));
    expect(out.setFlags(out.turn, mark, 0x1)).toBe(true);
    endTurn();
    const w = socket.taken[0]!;
    expect(w.length).toBe(40_018);
    expect(w[9 + 4]).toBe(1);
    expect(w[4]).toBe(0);
    expect(w[40_017]).toBe(5);
    // flushed: the mark's turn is over
    expect(out.setFlags(out.turn - 1, mark, 0x1)).toBe(false);
  });

  test("what a blocked socket holds is never written over: later turns go after it, or to another buffer", () => {
    const { socket, out, endTurn } = setup();
    socket.full = true;
    out.send(bytes(100, 1));
    endTurn();
    expect(out.blocked).toBe(true);
    for (let t = 0; t < 60; t++) {
      out.send(bytes(100, 2 + (t % 200)));
      endTurn();
    }
    // while blocked, other outputs reuse pooled buffers: none of them is one the socket holds
    const other = setup();
    for (let t = 0; t < 20; t++) {
      other.out.send(bytes(3000, 251));
      other.endTurn();
    }
    expect(socket.kept.length).toBe(61);
    expect([...new Set(socket.kept[0]!)]).toEqual([1]);
    for (let t = 0; t < 60; t++) expect([...new Set(socket.kept[t + 1]!)]).toEqual([2 + (t % 200)]);
    // drained: the socket handed everything to the kernel, the buffer is free again
    socket.full = false;
    out.drained();
    expect(out.blocked).toBe(false);
    out.send(bytes(10, 9));
    endTurn();
    expect(socket.taken.at(-1)).toEqual(Array(10).fill(9));
  });

  test("nothing is queued after the connection closed", () => {
    const { socket, out, endTurn } = setup();
    out.closed = true;
    out.send(bytes(5, 1));
    endTurn();
    expect(socket.taken).toEqual([]);
  });
});
