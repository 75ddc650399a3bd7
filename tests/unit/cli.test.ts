import { describe, expect, test } from "bun:test";
import { parseCommandLine, usage } from "../../src/cli.ts";
import { VERSION } from "../../src/version.ts";
import pkg from "../../package.json" with { type: "json" };

describe("command line", () => {
  test("no arguments runs the demo", () => {
    expect(parseCommandLine([])).toEqual({ kind: "demo" });
  });
  test("-f runs, several -f merge in order", () => {
    expect(parseCommandLine(["-f", "a.cfg", "-f", "b.yaml"])).toEqual({ kind: "run", files: ["a.cfg", "b.yaml"], strictOwnership: false, masterWorker: false });
    expect(parseCommandLine(["run", "--config", "a.cfg"])).toEqual({ kind: "run", files: ["a.cfg"], strictOwnership: false, masterWorker: false });
  });
  test("-W runs a master (HAProxy's flag), and needs -f", () => {
    expect(parseCommandLine(["-W", "-f", "a.cfg"])).toEqual({ kind: "run", files: ["a.cfg"], strictOwnership: false, masterWorker: true });
    expect(parseCommandLine(["run", "--master-worker", "-f", "a.cfg"])).toMatchObject({ kind: "run", masterWorker: true });
    expect(parseCommandLine(["-W"])).toMatchObject({ kind: "usage-error", message: "-W goes with run -f CONFIG" });
  });
  test("check and -c", () => {
    expect(parseCommandLine(["check", "-f", "a.cfg"])).toEqual({ kind: "check", files: ["a.cfg"] });
    expect(parseCommandLine(["-c", "-f", "a.cfg"])).toEqual({ kind: "check", files: ["a.cfg"] });
    expect(parseCommandLine(["check"])).toMatchObject({ kind: "usage-error", message: "check needs -f CONFIG" });
  });
  test("version, help", () => {
    expect(parseCommandLine(["version"])).toEqual({ kind: "version", long: false });
    expect(parseCommandLine(["-v"])).toEqual({ kind: "version", long: false });
    expect(parseCommandLine(["--version"])).toEqual({ kind: "version", long: false });
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help", topic: undefined });
    expect(parseCommandLine(["help", "check"])).toEqual({ kind: "help", topic: "check" });
    expect(parseCommandLine(["check", "--help"])).toEqual({ kind: "help", topic: "check" });
    expect(usage("check")).toContain("sluice check -f CONFIG");
  });
  test("unknown command, flag, extra argument are usage errors", () => {
    expect(parseCommandLine(["frobnicate"])).toEqual({ kind: "usage-error", message: "unknown command 'frobnicate'" });
    const flag = parseCommandLine(["--frob"]);
    expect(flag.kind).toBe("usage-error");
    expect((flag as { message: string }).message).toContain("--frob");
    expect(parseCommandLine(["run", "-f", "a.cfg", "extra"])).toMatchObject({
      kind: "usage-error",
      message: "unexpected argument 'extra'",
    });
    expect(parseCommandLine(["help", "nope"])).toMatchObject({ kind: "usage-error", message: "unknown command 'nope'" });
    expect(parseCommandLine(["run"])).toMatchObject({ kind: "usage-error", message: "run needs -f CONFIG" });
  });
  test("-vv, --version twice and version -v ask for the long form (HAProxy's -vv)", () => {
    expect(parseCommandLine(["-vv"])).toEqual({ kind: "version", long: true });
    expect(parseCommandLine(["--version", "--version"])).toEqual({ kind: "version", long: true });
    expect(parseCommandLine(["version", "-v"])).toEqual({ kind: "version", long: true });
  });
  test("from source, the version is package.json's (the one place it is written)", () => {
    expect(VERSION).toBe(pkg.version);
  });
});

describe("probe", () => {
  test("one URL, an optional --timeout", () => {
    expect(parseCommandLine(["probe", "http://127.0.0.1:8080/healthz"])).toEqual({ kind: "probe", url: "http://127.0.0.1:8080/healthz", timeoutMs: 5000 });
    expect(parseCommandLine(["probe", "--timeout", "2s", "https://x/"])).toEqual({ kind: "probe", url: "https://x/", timeoutMs: 2000 });
  });

  test("usage errors: no URL, two, not http, a bad timeout, --timeout elsewhere", () => {
    const message = (argv: string[]) => {
      const c = parseCommandLine(argv);
      return c.kind === "usage-error" ? c.message : c.kind;
    };
    expect(message(["probe"])).toBe("probe takes one URL");
    expect(message(["probe", "http://a/", "http://b/"])).toBe("probe takes one URL");
    expect(message(["probe", "ftp://a/"])).toBe("'ftp://a/' is not an http:// or https:// URL");
    expect(message(["probe", "--timeout", "soon", "http://a/"])).toContain("--timeout: invalid time 'soon'");
    expect(message(["probe", "--timeout", "0", "http://a/"])).toBe("--timeout: must be above 0");
    expect(message(["probe", "-f", "x.cfg", "http://a/"])).toBe("probe takes no -f");
    expect(message(["check", "-f", "x.cfg", "--timeout", "1s"])).toBe("--timeout goes with probe");
  });
});
