// The layering rule, checked on the source itself: every import of src/
// (`import type` included: a type is a dependency too) goes to the same
// folder or to a folder of a lower layer, and no module imports itself back
// through a chain of others. The layers are those of docs/architecture.md.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Bottom to top; a folder may import its own files and any folder of a lower
 * layer. Folders on one line are peers and may not import each other.
 * docs/architecture.md draws the same picture.
 */
const LAYERS: readonly { rank: number; folders: readonly string[] }[] = [
  { rank: 0, folders: ["runtime"] },
  { rank: 1, folders: ["http", "log", "stick", "tls", "dns"] },
  { rank: 2, folders: ["rules", "peers"] },
  { rank: 3, folders: ["config"] },
  { rank: 4, folders: ["conn"] },
  { rank: 5, folders: ["http1", "balance"] },
  { rank: 6, folders: ["http2"] },
  { rank: 7, folders: ["pool"] },
  { rank: 8, folders: ["backend"] },
  { rank: 9, folders: ["stream", "check"] },
  { rank: 10, folders: ["session"] },
  { rank: 11, folders: ["core"] },
  { rank: 12, folders: ["demo", "stats"] },
  { rank: 13, folders: ["admin", "control"] },
  { rank: 14, folders: ["master", "process"] },
  { rank: 15, folders: ["."] },
];

/** The layer of a path under src/: its first folder ("." for the entry files; http2/hpack is http2's). */
function layerOf(path: string): { rank: number; folder: string } | undefined {
  const folder = path.includes("/") ? path.slice(0, path.indexOf("/")) : ".";
  const layer = LAYERS.find((l) => l.folders.includes(folder));
  return layer && { rank: layer.rank, folder };
}

const SRC = resolve(import.meta.dir, "../../src");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Relative imports and re-exports of a module, resolved to paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+["'](\.[^"']+)["']/gm)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!)));
  }
  for (const m of text.matchAll(/\bimport\(\s*["'](\.[^"']+)["']\s*\)/g)) {
    out.push(relative(SRC, resolve(dirname(file), m[1]!)));
  }
  return out;
}

const files = sources(SRC).map((f) => relative(SRC, f)).sort();
const graph = new Map(files.map((f) => [f, importsOf(join(SRC, f))]));

describe("layers", () => {
  test("every file of src/ belongs to a known layer", () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  test("imports only go to the same folder or down a layer", () => {
    const up: string[] = [];
    for (const [file, deps] of graph) {
      const from = layerOf(file)!;
      for (const dep of deps) {
        const to = layerOf(dep);
        if (to === undefined) up.push(`${file} -> ${dep} (unknown layer)`);
        else if (to.folder !== from.folder && to.rank >= from.rank) {
          up.push(`${file} (${from.folder}, layer ${from.rank}) -> ${dep} (${to.folder}, layer ${to.rank})`);
        }
      }
    }
    expect(up).toEqual([]);
  });

  test("no import cycle between modules", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, "open");
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        const s = state.get(d);
        if (s === "open") cycles.push([...path.slice(path.indexOf(d)), d].join(" -> "));
        else if (s === undefined && graph.has(d)) visit(d);
      }
      path.pop();
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  /** Imports from files under `folder` into any of `forbidden`. */
  const importsInto = (folder: string, forbidden: readonly string[]): string[] =>
    [...graph].filter(([file]) => file.startsWith(folder))
      .flatMap(([file, deps]) => deps.filter((d) => forbidden.some((f) => d.startsWith(f))).map((d) => `${file} -> ${d}`));

  test("the stream names no protocol: nothing of stream/ imports a codec or a mux implementation", () => {
    expect(importsInto("stream/", ["http1/", "http2/"])).toEqual([]);
  });

  test("pools and ownership speak the contracts of conn/, never an implementation", () => {
    expect(importsInto("pool/", ["http1/", "http2/"])).toEqual([]);
  });

  test("every import names a file that exists", () => {
    const missing: string[] = [];
    for (const [file, deps] of graph) for (const d of deps) if (!graph.has(d)) missing.push(`${file} -> ${d}`);
    expect(missing).toEqual([]);
  });

  test("the layer table lists each folder once", () => {
    const folders = LAYERS.flatMap((l) => l.folders);
    expect(new Set(folders).size).toBe(folders.length);
  });
});
