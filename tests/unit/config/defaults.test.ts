import { describe, expect, test } from "bun:test";
import { lines, loadOk } from "./helpers.ts";

const backend = (name: string) => [`backend ${name}`, "    server s 127.0.0.1:9000"];

describe("defaults", () => {
  test("haproxy.cfg: a defaults section applies to the proxies after it, until the next one replaces it", () => {
    const c = loadOk({
      name: "d.cfg",
      text: lines(
        ...backend("before"),
        "defaults first",
        "    timeout connect 1s",
        "    retries 7",
        "    mode http",
        ...backend("b1"),
        "defaults",
        "    timeout client 2s",
        ...backend("b2"),
        "frontend f",
        "    bind :80",
        "    default_backend b2",
      ),
    });
    const get = (name: string) => c.backends.find((b) => b.name === name)!;
    expect(get("before")).toMatchObject({
      mode: "tcp",
      retries: 3,
      timeouts: { connect: 5000, client: 50000, server: 50000 },
    });
    expect(get("b1")).toMatchObject({
      mode: "http",
      retries: 7,
      timeouts: { connect: 1000, client: 50000, server: 50000 },
    });
    expect(get("b2")).toMatchObject({
      mode: "tcp",
      retries: 3,
      timeouts: { connect: 5000, client: 2000, server: 50000 },
    });
    expect(c.frontends[0]!.timeouts.client).toBe(2000);
  });

  test("frontend maxconn: its own, else defaults', else global's", () => {
    const c = loadOk({
      name: "m.cfg",
      text: lines(
        "global",
        "    maxconn 500",
        "frontend a",
        "    bind :1",
        "    default_backend b",
        "defaults",
        "    maxconn 300",
        "frontend c",
        "    bind :2",
        "    default_backend b",
        "frontend d",
        "    bind :3",
        "    maxconn 100",
        "    default_backend b",
        ...backend("b"),
      ),
    });
    expect(c.frontends.map((f) => [f.name, f.maxconn])).toEqual([["a", 500], ["c", 300], [
      "d",
      100,
    ]]);
  });

  test("YAML: one defaults mapping for every proxy of the file; proxies override it", () => {
    const c = loadOk({
      name: "d.yaml",
      text: lines(
        "backends:",
        "  b1: { servers: { s: '127.0.0.1:1' } }",
        "  b2: { servers: { s: '127.0.0.1:1' }, retries: 0, timeout: { connect: 100 } }",
        "defaults:",
        "  retries: 5",
        "  timeout: { connect: 1s }",
      ),
    });
    expect(c.backends.map((b) => [b.name, b.retries, b.timeouts.connect])).toEqual([
      ["b1", 5, 1000],
      ["b2", 0, 100],
    ]);
  });

  test("defaults carry on into the next file until a file replaces them", () => {
    const c = loadOk(
      { name: "1.cfg", text: lines("defaults", "    retries 9") },
      { name: "2.yaml", text: lines("backends:", "  a: { servers: { s: '127.0.0.1:1' } }") },
      {
        name: "3.yaml",
        text: lines(
          "defaults: { retries: 1 }",
          "backends:",
          "  b: { servers: { s: '127.0.0.1:1' } }",
        ),
      },
      { name: "4.cfg", text: lines(...backend("c"), "defaults", ...backend("d")) },
    );
    expect(c.backends.map((b) => [b.name, b.retries])).toEqual([["a", 9], ["b", 1], ["c", 1], [
      "d",
      3,
    ]]);
  });

  test("option tcplog/httplog in defaults reach frontends; a frontend's own wins", () => {
    const c = loadOk({
      name: "o.cfg",
      text: lines(
        "frontend none",
        "    bind :1",
        "    default_backend b",
        "defaults",
        "    option tcplog",
        "frontend inherited",
        "    bind :2",
        "    default_backend b",
        "frontend own",
        "    mode http",
        "    bind :3",
        "    option httplog",
        "    default_backend h",
        ...backend("b"),
        ...backend("h"),
        "    mode http",
      ),
    });
    expect(c.frontends.map((f) => [f.name, f.log])).toEqual([["none", undefined], [
      "inherited",
      "tcp",
    ], ["own", "http"]]);
  });
});
