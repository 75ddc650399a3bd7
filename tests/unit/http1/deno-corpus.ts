// The parser corpus under Deno (bun test runs the same corpus in parser.test.ts):
//   node_modules/.bin/deno run tests/unit/http1/deno-corpus.ts
// Feeds every message whole, byte by byte and split everywhere; exits 1 on a difference.

import { invalid, valid } from "./corpus.ts";
import { bytes, drive, splits } from "./harness.ts";

let cases = 0;
let runs = 0;
const failures: string[] = [];
for (const c of [...valid, ...invalid]) {
  cases++;
  const input = bytes(c.input);
  for (const inside of [false, true]) {
    const whole = drive(c, [input.slice()], inside);
    if (JSON.stringify(whole.short) !== JSON.stringify(c.expect)) {
      failures.push(`${c.name}: expected ${JSON.stringify(c.expect)}, got ${JSON.stringify(whole.short)}`);
      continue;
    }
    for (const { label, pieces } of splits(input)) {
      runs++;
      const r = drive(c, pieces, inside);
      if (r.full.join("\n") !== whole.full.join("\n")) {
        failures.push(`${c.name} (${label}): ${JSON.stringify(r.full)}`);
        break;
      }
    }
  }
}
console.log(`${cases} cases, ${runs} split runs, ${failures.length} failures`);
for (const f of failures) console.log("FAIL", f);
if (failures.length !== 0) (globalThis as { process?: { exit(code: number): void } }).process?.exit(1);
