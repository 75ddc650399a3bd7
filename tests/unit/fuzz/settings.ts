// The fuzz tests' seed and count: fixed and bounded in the default run;
// FUZZ_SEED=S FUZZ_RUNS=N for another or a longer run (`npm run fuzz`: 20,000 runs, a new seed).
export const FUZZ = {
  seed: Number(process.env.FUZZ_SEED ?? 20261206),
  numRuns: Number(process.env.FUZZ_RUNS ?? 300),
};

/** A test's time limit, growing with the count. */
export const FUZZ_TIMEOUT_MS = Math.max(60_000, FUZZ.numRuns * 200);
