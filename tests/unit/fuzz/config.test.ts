// Fuzzing the configuration loaders (issue 18): the examples, haproxy.cfg and
// YAML, mutated at the line, word and byte level, either load or give
// ConfigErrors that name their file (and a line where the syntax has lines)
// — never an exception, never a hang. Fixed seed and bounded count in the
// default run (FUZZ_RUNS / FUZZ_SEED for more).
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfigTexts } from "../../../src/config/load.ts";
import { ConfigError } from "../../../src/config/errors.ts";
import { FUZZ, FUZZ_TIMEOUT_MS } from "./settings.ts";

const EXAMPLES = join(import.meta.dir, "../../../examples");
const NAMES = ["tcp", "http", "checks", "rules", "https", "h2c"];
const files = NAMES.flatMap((n) => ["cfg", "yaml"].map((ext) => ({ name: join(EXAMPLES, `${n}.${ext}`), text: readFileSync(join(EXAMPLES, `${n}.${ext}`), "utf8") })));

/** Words that make mutations land on real keywords and values. */
const WORDS = ["", " ", "\t", "#", "\\", "\"", "'", "{", "}", ":", "-", "0", "-1", "99999999999999999999", "1s", "ms", "if", "unless", "!", "||",
  "acl", "server", "bind", "backend", "frontend", "defaults", "listen", "global", "mode", "http", "tcp", "ssl", "crt", "check", "weight",
  "http-request", "deny", "use_backend", "default_backend", "timeout", "balance", "roundrobin", "stick-table", "track-sc0", "{ path_beg /x }",
  "%[src]", "hdr(host)", "\u00e9", "\u0000", "127.0.0.1:0", "[::1]:80", "*:*"];

const mutation = fc.oneof(
  fc.record({ op: fc.constant("drop-line" as const), at: fc.nat(), word: fc.constant("") }),
  fc.record({ op: fc.constant("dup-line" as const), at: fc.nat(), word: fc.constant("") }),
  fc.record({ op: fc.constant("swap-word" as const), at: fc.nat(), word: fc.constantFrom(...WORDS) }),
  fc.record({ op: fc.constant("insert-word" as const), at: fc.nat(), word: fc.constantFrom(...WORDS) }),
  fc.record({ op: fc.constant("byte" as const), at: fc.nat(), word: fc.constantFrom(...WORDS) }),
  fc.record({ op: fc.constant("indent" as const), at: fc.nat(), word: fc.constantFrom("", "  ", "    ", "\t", " - ") }),
);

function mutate(text: string, ms: { op: string; at: number; word: string }[]): string {
  let lines = text.split("\n");
  for (const m of ms) {
    const i = m.at % lines.length;
    const line = lines[i]!;
    const words = line.split(" ");
    const w = m.at % Math.max(1, words.length);
    switch (m.op) {
      case "drop-line":
        lines.splice(i, 1);
        break;
      case "dup-line":
        lines.splice(i, 0, line);
        break;
      case "swap-word":
        words[w] = m.word;
        lines[i] = words.join(" ");
        break;
      case "insert-word":
        words.splice(w, 0, m.word);
        lines[i] = words.join(" ");
        break;
      case "byte": {
        const at = line.length === 0 ? 0 : m.at % line.length;
        lines[i] = line.slice(0, at) + m.word + line.slice(at + 1);
        break;
      }
      case "indent":
        lines[i] = m.word + line.trimStart();
        break;
    }
    if (lines.length === 0) lines = [""];
  }
  return lines.join("\n");
}

describe("configuration loaders, fuzzed (fast-check, fixed seed)", () => {
  test("mutated examples load or give positioned errors; never throw, never hang", () => {
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...files), fc.array(mutation, { minLength: 1, maxLength: 4 }), (file, ms) => {
        const text = mutate(file.text, ms);
        const started = performance.now();
        const result = loadConfigTexts([{ name: file.name, text }]);
        // A generous bound: one load takes a few ms; a hang or a blow-up would not.
        expect(performance.now() - started).toBeLessThan(2000);
        if (result.ok) return;
        refused++;
        expect(result.errors.length).toBeGreaterThan(0);
        for (const e of result.errors) {
          expect(e).toBeInstanceOf(ConfigError);
          expect(e.message.startsWith(file.name)).toBe(true);
          // haproxy.cfg has lines; YAML errors point into the document too.
          expect(e.line === undefined || e.line >= 1).toBe(true);
        }
      }),
      FUZZ,
    );
    // The mutations do reach the checks: many mutated configs are refused.
    expect(refused).toBeGreaterThan(FUZZ.numRuns / 4);
  }, FUZZ_TIMEOUT_MS);

  test("random text never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.boolean(), (text, yaml) => {
        const result = loadConfigTexts([{ name: yaml ? "fuzz.yaml" : "fuzz.cfg", text }]);
        if (!result.ok) for (const e of result.errors) expect(e).toBeInstanceOf(ConfigError);
      }),
      FUZZ,
    );
  }, FUZZ_TIMEOUT_MS);
});
