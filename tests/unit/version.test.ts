// The version facts from source (the binary's are tested in tests/e2e/cli.test.ts
// and tests/release/): package.json's version, git's commit, no build date or
// target; and the long form lists what the code's own tables hold.
import { describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import pkg from "../../package.json" with { type: "json" };
import { buildInfo, COMPILED, VERSION } from "../../src/version.ts";
import { longVersion, shortVersion } from "../../src/version-text.ts";
import { bunRuntime } from "../../src/runtime/bun.ts";
import { ALGORITHMS } from "../../src/config/balance.ts";
import { FETCHES } from "../../src/rules/fetch/index.ts";
import { compileCommand, buildFacts, hostTarget } from "../../build/compile.ts";

const gitDescribe = spawnSync("git", ["describe", "--always", "--dirty", "--abbrev=12"], { encoding: "utf8" }).stdout.trim();

describe("version from source", () => {
  test("version from package.json, commit from git, no build date or target", async () => {
    expect(COMPILED).toBe(false);
    const info = await buildInfo();
    expect(info).toEqual({ version: pkg.version, commit: gitDescribe, date: undefined, target: undefined });
    expect(VERSION).toBe(pkg.version);
  });

  test("short line: version, commit, runtime", async () => {
    expect(await shortVersion(bunRuntime)).toBe(`sluice ${pkg.version} (commit ${gitDescribe}, bun ${Bun.version})`);
  });

  test("long form: the build facts and what is built in, from the code's tables", async () => {
    const text = await longVersion(bunRuntime);
    const lines = text.split("\n");
    expect(lines[0]).toBe(`sluice version ${pkg.version}`);
    expect(lines).toContain(`Git commit : ${gitDescribe}`);
    expect(lines).toContain("Build date : none (running from source)");
    expect(text).toContain(`Running on : bun ${Bun.version}, linux x64`);
    expect(text).toMatch(/^Feature list : .*\+TLS .*\+HTTP2 .*\+MASTER_WORKER .*-QUIC/m);
    expect(lines).toContain("TLS versions : TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3");
    expect(lines).toContain(`Load-balancing algorithms : ${ALGORITHMS.join(" ")}`);
    expect(text).toContain(`Sample fetches : ${FETCHES.size}, converters : `);
  });
});

describe("build facts baked into a binary", () => {
  test("the compile command defines the facts build/compile.ts read, once each", () => {
    const facts = buildFacts(hostTarget());
    expect(facts.version).toBe(pkg.version);
    expect(facts.commit).toBe(gitDescribe);
    // The commit's date, not the wall clock: the same commit builds the same bytes.
    const committed = Number(spawnSync("git", ["log", "-1", "--format=%ct"], { encoding: "utf8" }).stdout.trim());
    expect(facts.date).toBe(new Date(committed * 1000).toISOString().replace(/\.000Z$/, "Z"));
    const cmd = compileCommand("/tmp/out", facts, "bun-linux-arm64");
    expect(cmd).toContain("--target=bun-linux-arm64");
    expect(cmd).toContain(`SLUICE_BUILD_VERSION=${JSON.stringify(pkg.version)}`);
    expect(cmd).toContain(`SLUICE_BUILD_COMMIT=${JSON.stringify(gitDescribe)}`);
    expect(cmd).toContain(`SLUICE_BUILD_DATE=${JSON.stringify(facts.date)}`);
    expect(cmd).toContain(`SLUICE_BUILD_TARGET=${JSON.stringify(hostTarget())}`);
  });

  test("SOURCE_DATE_EPOCH, when set, dates the build", () => {
    const saved = process.env.SOURCE_DATE_EPOCH;
    process.env.SOURCE_DATE_EPOCH = "1700000000";
    try {
      expect(buildFacts("linux-x64").date).toBe("2023-11-14T22:13:20Z");
    } finally {
      if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
      else process.env.SOURCE_DATE_EPOCH = saved;
    }
  });
});
