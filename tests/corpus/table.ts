// Prints the corpus table: each file's answer from `haproxy -c` and from
// `sluice check` side by side, and sluice's rate among the files HAProxy 2.6
// accepts. Run: bun tests/corpus/table.ts [bun|deno|binary]
import { TARGETS } from "../e2e/harness.ts";
import { formatTable, runCorpus } from "./corpus.ts";

const name = process.argv[2] ?? "bun";
const target = TARGETS.find((t) => t.name === name);
if (target === undefined) throw new Error(`unknown target '${name}' (expected bun, deno or binary)`);
console.log(formatTable((await runCorpus(target)).rows));
