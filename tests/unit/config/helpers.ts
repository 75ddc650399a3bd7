import { expect } from "bun:test";
import { type Config, loadConfigTexts } from "../../../src/config/load.ts";

export type Source = { name: string; text: string };

/** Joins lines so that line numbers in tests are easy to count. */
export const lines = (...l: string[]): string => l.join("\n") + "\n";

export function loadOk(...sources: Source[]): Config {
  const r = loadConfigTexts(sources);
  if (!r.ok) {
    throw new Error("expected a valid config, got:\n" + r.errors.map((e) => e.message).join("\n"));
  }
  return r.config;
}

export function errorsOf(...sources: Source[]): string[] {
  const r = loadConfigTexts(sources);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.errors.map((e) => e.message);
}

export function warningsOf(...sources: Source[]): string[] {
  return loadConfigTexts(sources).warnings.map((w) => w.message);
}

/** Origins differ between two syntaxes of the same config; everything else must not. */
export function withoutOrigins(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOrigins);
  if (ArrayBuffer.isView(value)) return value;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([k]) => k !== "origin").map(([k, v]) => [k, withoutOrigins(v)]),
    );
  }
  return value;
}
