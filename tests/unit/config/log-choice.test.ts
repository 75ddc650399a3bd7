// `option tcplog`, `option httplog` and `log-format`: the last one written in
// a section wins, its defaults' otherwise (HAProxy replaces the proxy's log
// format with each); in mode tcp, HAProxy 2.6's checks of the chosen format.
import { describe, expect, test } from "bun:test";
import { errorsOf, lines, loadOk, warningsOf } from "./helpers.ts";

const cfg = (...l: string[]) => ({ name: "sluice.cfg", text: lines(...l) });
const yaml = (...l: string[]) => ({ name: "sluice.yaml", text: lines(...l) });
const choiceOf = (c: ReturnType<typeof loadOk>) => c.frontends.map((f) => [f.name, f.log, f.logFormat]);

describe("the last of option tcplog, option httplog, log-format wins", () => {
  test("in one section, in either order; a section's own choice replaces its defaults' whole", () => {
    const c = loadOk(cfg(
      "defaults",
      "    mode tcp",
      "    log-format '%ci %b'",
      "frontend fmt_then_tcplog",
      "    bind :80",
      "    log-format '%ci %s'",
      "    option tcplog",
      "frontend tcplog_then_fmt",
      "    bind :81",
      "    option tcplog",
      "    log-format '%ci %ft'",
      "frontend inherits",
      "    bind :82",
      "frontend own_option",
      "    bind :83",
      "    option tcplog",
      "listen http_then_tcp",
      "    mode http",
      "    bind :84",
      "    option httplog",
      "    option tcplog",
    ));
    expect(choiceOf(c)).toEqual([
      ["fmt_then_tcplog", "tcp", undefined],
      ["tcplog_then_fmt", undefined, "%ci %ft"],
      ["inherits", undefined, "%ci %b"],
      ["own_option", "tcp", undefined],
      ["http_then_tcp", "tcp", undefined],
    ]);
  });

  test("defaults resolve their own order first: an option after the log-format there wins for the proxies", () => {
    const c = loadOk(cfg(
      "defaults",
      "    log-format '%ci %b'",
      "    option tcplog",
      "frontend f",
      "    bind :80",
    ));
    expect(choiceOf(c)).toEqual([["f", "tcp", undefined]]);
  });

  test("YAML: the same, by the lines the keys are written on", () => {
    const c = loadOk(yaml(
      "frontends:",
      "  a:",
      "    bind: ':80'",
      "    log-format: '%ci %s'",
      "    option: [dontlognull, tcplog]",
      "  b:",
      "    bind: ':81'",
      "    option: tcplog",
      "    log-format: '%ci %ft'",
    ));
    expect(choiceOf(c)).toEqual([["a", "tcp", undefined], ["b", undefined, "%ci %ft"]]);
  });
});

describe("mode tcp checks the chosen format as HAProxy 2.6 does", () => {
  test("option httplog falls back to tcplog with HAProxy's warning, at the line that chose it (the defaults' when inherited)", () => {
    expect(warningsOf(cfg(
      "defaults",
      "    mode http",
      "    option httplog",
      "listen l",
      "    mode tcp",
      "    bind :80",
      "    server s 127.0.0.1:1",
      "frontend f",
      "    mode tcp",
      "    bind :81",
      "    option httplog",
      "    default_backend l",
    ))).toEqual([
      "sluice.cfg:3: listen 'l': 'option httplog' not usable with proxy 'l' (needs 'mode http'). Falling back to 'option tcplog'.",
      "sluice.cfg:11: frontend 'f': 'option httplog' not usable with frontend 'f' (needs 'mode http'). Falling back to 'option tcplog'.",
    ]);
  });

  test("a variable only HTTP has is refused, in the proxy's own log-format or its defaults'", () => {
    expect(errorsOf(cfg(
      "defaults",
      "    mode tcp",
      "    log-format '%ci %r'",
      "frontend f",
      "    bind :80",
      "frontend g",
      "    bind :81",
      "    log-format '%ci [%tr] %Ta'",
    ))).toEqual([
      "sluice.cfg:3: frontend 'f': log-format: format variable 'r' is reserved for HTTP mode (this frontend is in mode tcp)",
      "sluice.cfg:8: frontend 'g': log-format: format variable 'tr' is reserved for HTTP mode (this frontend is in mode tcp)",
    ]);
  });

  test("what HAProxy accepts in mode tcp loads: %ST, %Th, %Td, %Tu, %hr, addresses, counters, flags", () => {
    const format = "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %ST %Th %Td %Tu %hr %hs %fi:%fp %bi:%bp %si:%sp %rt %lc %ID %{+Q}ci %{+X}cp";
    const c = loadOk(cfg("frontend f", "    bind :80", `    log-format "${format}"`));
    expect(choiceOf(c)).toEqual([["f", undefined, format]]);
    // A mode http frontend keeps every variable.
    expect(choiceOf(loadOk(cfg("frontend h", "    mode http", "    bind :80", "    log-format '%r %tr %Ta %CC'")))).toEqual([["h", undefined, "%r %tr %Ta %CC"]]);
  });

  test("sample expressions are compiled in mode tcp too; an unknown fetch is refused with its name", () => {
    const c = loadOk(cfg("frontend f", "    bind :80", "    log-format '%ci %[src] %[src,ipmask(24)]'"));
    expect([...(c.frontends[0]!.logSamples?.keys() ?? [])]).toEqual(["src", "src,ipmask(24)"]);
    expect(errorsOf(cfg("frontend f", "    bind :80", "    log-format '%ci %[srcip]'"))).toEqual([
      "sluice.cfg:3: frontend 'f': log-format: %[srcip]: unknown fetch 'srcip' (did you mean 'src'?)",
    ]);
  });
});
