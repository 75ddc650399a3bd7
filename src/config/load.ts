// Entry point: files or texts in, a Config or every problem found out.
// Files are read as if concatenated in order, like HAProxy's `-f a -f b`:
// `defaults` carry on into the next file, `global` settings add up, and a
// proxy name used in two files is a duplicate.

import { collectResolvers } from "./resolvers-check.ts";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseCfg } from "./cfg.ts";
import { ConfigError, formatPos } from "./errors.ts";
import { buildDraft } from "./build.ts";
import type { RawSegment, SyntaxResult } from "./raw.ts";
import { type DefaultPath, type FilePaths, filePaths, pathKeywords } from "./schema-paths.ts";
import { type CheckedSegment, checkSegment } from "./sections.ts";
import { DEFAULT_BUFSIZE } from "./errorfile-size.ts";
import type { Config, Origin, PeersSectionConfig, UserlistConfig } from "./types.ts";
import { validate } from "./validate.ts";
import { compileAllRules } from "./rules.ts";
import { MapRegistry } from "../rules/match/map-ref.ts";
import { parseYaml } from "./yaml.ts";
import { resolvePeers } from "./schema-peers.ts";
import type { StickTableSpec } from "../stick/types.ts";
import { dhParamNotices, zeroWarningAt, zeroWarningError } from "./schema-edge.ts";
import { unusablePasswords } from "./schema-userlist.ts";

export type * from "./types.ts";
export { ConfigError } from "./errors.ts";

export type LoadResult =
  | { ok: true; config: Config; warnings: ConfigError[] }
  | { ok: false; errors: ConfigError[]; warnings: ConfigError[] };

export interface ConfigSource {
  /** Shown in messages; its extension picks the syntax. */
  name: string;
  text: string;
}

/** What the command line adds: `-L NAME`, this process's name in peers sections. */
export interface LoadOptions {
  localPeer?: string;
}

export function loadConfigFiles(paths: string[], options: LoadOptions = {}): LoadResult {
  const sources: ConfigSource[] = [];
  const unreadable: ConfigError[] = [];
  for (const path of paths) {
    try {
      sources.push({ name: path, text: readFileSync(path, "utf8") });
    } catch (e) {
      unreadable.push(new ConfigError({ file: path }, [], `cannot read file (${readError(e)})`));
    }
  }
  return load(sources, paths, unreadable, options);
}

export function loadConfigTexts(sources: ConfigSource[], options: LoadOptions = {}): LoadResult {
  return load(sources, sources.map((s) => s.name), [], options);
}

function load(sources: ConfigSource[], order: string[], errors: ConfigError[], options: LoadOptions): LoadResult {
  const checked: CheckedSegment[] = [];
  const syntaxWarnings: ConfigError[] = [];
  const parsed = sources.map((source) => parseSource(source));
  const paths = pathsOfFiles(parsed.flatMap((syntax) => syntax.segments));
  // The error pages read in a segment must fit the tune.bufsize set before it (errorfile-size.ts).
  let bufsize = DEFAULT_BUFSIZE;
  for (const syntax of parsed) {
    errors.push(...syntax.errors);
    syntaxWarnings.push(...(syntax.warnings ?? []));
    for (const seg of syntax.segments) {
      const one = checkSegment(seg, errors, paths(seg.file), bufsize);
      bufsize = one.global?.bufsize ?? bufsize;
      checked.push(one);
    }
  }
  const userlists = collectUserlists(checked, errors);
  const caches = collectNamed("cache", checked.flatMap((seg) => seg.caches ?? []), errors);
  const httpErrors = collectNamed("http-errors", checked.flatMap((seg) => seg.httpErrors ?? []), errors) ?? {};
  const draft = buildDraft(checked, httpErrors);
  const found = validate(draft);
  errors.push(...found.errors);
  const resolvers = collectResolvers(checked, draft.backends.map((b) => b.config), errors, found.warnings);
  const maps = new MapRegistry();
  const peers = collectPeers(checked, draft, errors, options.localPeer ?? draft.global.localPeer ?? hostname());
  const ruleWarnings: ConfigError[] = [];
  compileAllRules(draft, errors, userlists, maps, peers.tables, caches, httpErrors, ruleWarnings);
  for (const p of [...draft.frontends, ...draft.backends]) {
    for (const f of p.config.filters ?? []) {
      if (f.kind === "cache" && caches?.[f.cache] === undefined) errors.push(new ConfigError(p.config.origin, [`${p.named.kind} '${p.config.name}'`], `filter cache: unable to find cache '${f.cache}'`));
    }
  }

  const sort = byPosition(order);
  const segments = parsed.flatMap((syntax) => syntax.segments);
  const warnings = sort([...syntaxWarnings, ...found.warnings, ...ruleWarnings, ...unique(checked.flatMap((seg) => seg.warnings)), ...peers.warnings, ...dhParamNotices(segments), ...unusablePasswords(userlists)]);
  const zeroWarning = zeroWarningError(zeroWarningAt(segments), warnings);
  if (zeroWarning !== undefined) errors.push(zeroWarning);
  // A defaults section copied into several segments (cfg-defaults.ts) reports its errors once.
  if (errors.length > 0) return { ok: false, errors: unique(sort(errors)), warnings };
  return {
    ok: true,
    warnings,
    config: {
      global: draft.global,
      frontends: draft.frontends.map((f) => f.config),
      backends: draft.backends.map((b) => b.config),
      ...(draft.stats.length === 0 ? {} : { stats: draft.stats }),
      ...(userlists === undefined ? {} : { userlists }),
      ...(peers.sections.length === 0 ? {} : { peers: peers.sections }),
      ...(peers.tables.length === 0 ? {} : { peerTables: peers.tables }),
      ...(caches === undefined ? {} : { caches }),
      ...(resolvers === undefined ? {} : { resolvers }),
      ...(maps.all().length === 0 ? {} : { maps }),
    },
  };
}

/** Every file's userlists by name; a name used twice is an error at the second. Undefined when there are none. */
function collectUserlists(checked: CheckedSegment[], errors: ConfigError[]): Record<string, UserlistConfig> | undefined {
  const seen = new Map<string, Origin>();
  let byName: Record<string, UserlistConfig> | undefined;
  for (const list of checked.flatMap((seg) => seg.userlists ?? [])) {
    const first = seen.get(list.name);
    if (first !== undefined) {
      errors.push(
        new ConfigError(list.origin, [`userlist '${list.name}'`], `duplicate name (userlist '${list.name}' is already defined at ${formatPos(first)})`),
      );
      continue;
    }
    seen.set(list.name, list.origin);
    if (list.config !== undefined) (byName ??= {})[list.name] = list.config;
  }
  return byName;
}

/**
 * The peers sections: each resolved against the local peer's name (HAProxy
 * warns and removes a section without it), their tables, and every
 * `stick-table ... peers NAME` checked to name a section.
 */
function collectPeers(checked: CheckedSegment[], draft: ReturnType<typeof buildDraft>, errors: ConfigError[], localName: string) {
  const sections: PeersSectionConfig[] = [];
  const tables: StickTableSpec[] = [];
  const warnings: ConfigError[] = [];
  const seen = new Map<string, Origin>();
  for (const { name, origin, part } of checked.flatMap((seg) => seg.peers ?? [])) {
    const first = seen.get(name);
    if (first !== undefined) {
      errors.push(new ConfigError(origin, [`peers '${name}'`], `duplicate name (peers '${name}' is already defined at ${formatPos(first)})`));
      continue;
    }
    seen.set(name, origin);
    if (part === undefined) continue;
    const r = resolvePeers(name, part, localName);
    tables.push(...r.tables);
    if (r.error !== undefined) errors.push(new ConfigError(origin, [`peers '${name}'`], r.error));
    if (r.warning !== undefined) warnings.push(new ConfigError(origin, [], r.warning));
    if (r.config !== undefined) sections.push(r.config);
  }
  const told = new Set<object>();
  for (const p of [...draft.frontends, ...draft.backends]) {
    const wanted = p.config.stickTable?.peers;
    if (wanted !== undefined && !seen.has(wanted) && !told.has(p.named)) {
      told.add(p.named);
      errors.push(new ConfigError(p.config.origin, [`${p.named.kind} '${p.config.name}'`], `stick-table: unknown peers section '${wanted}'`));
    }
  }
  return { sections, tables, warnings };
}

/** Sections of one kind by name (`cache`); a name used twice is an error at the second. Undefined when there are none. */
function collectNamed<C>(kind: string, sections: { name: string; origin: Origin; config?: C }[], errors: ConfigError[]): Record<string, C> | undefined {
  const seen = new Map<string, Origin>();
  let byName: Record<string, C> | undefined;
  for (const s of sections) {
    const first = seen.get(s.name);
    if (first !== undefined) {
      errors.push(new ConfigError(s.origin, [`${kind} '${s.name}'`], `duplicate name (${kind} '${s.name}' is already defined at ${formatPos(first)})`));
      continue;
    }
    seen.set(s.name, s.origin);
    if (s.config !== undefined) (byName ??= {})[s.name] = s.config;
  }
  return byName;
}

function parseSource(source: ConfigSource): SyntaxResult {
  const ext = /\.([^./\\]+)$/.exec(source.name)?.[1]?.toLowerCase();
  if (ext === "cfg") return parseCfg(source.name, source.text);
  if (ext === "yaml" || ext === "yml" || ext === "json") return parseYaml(source.name, source.text);
  const what = ext ? `'.${ext}'` : "(no extension)";
  return {
    segments: [],
    errors: [
      new ConfigError(
        { file: source.name },
        [],
        `unknown config file type ${what} (expected .cfg, .yaml, .yml or .json)`,
      ),
    ],
  };
}

/** File order as given, then line, then column; stable, so same-place errors keep their order. */
function byPosition(order: string[]) {
  const rank = (file: string) => {
    const i = order.indexOf(file);
    return i < 0 ? order.length : i;
  };
  return (list: ConfigError[]) =>
    [...list].sort((a, b) =>
      rank(a.file) - rank(b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0)
    );
}

function unique(list: ConfigError[]): ConfigError[] {
  const seen = new Set<string>();
  return list.filter((e) => {
    const key = e.message;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function readError(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

/**
 * How each file's relative names are found: its own `default-path` (HAProxy:
 * one per file), the last `ca-base` / `crt-base` of any file (global settings).
 */
function pathsOfFiles(segments: RawSegment[]): (file: string) => FilePaths {
  const defaultPaths = new Map<string, DefaultPath>();
  let caBase: string | undefined;
  let crtBase: string | undefined;
  for (const seg of segments) {
    const said = pathKeywords(seg.doc.global);
    if (said["default-path"] !== undefined) defaultPaths.set(seg.file, said["default-path"]);
    caBase = said["ca-base"] ?? caBase;
    crtBase = said["crt-base"] ?? crtBase;
  }
  const cwd = process.cwd();
  return (file) => {
    const defaultPath = defaultPaths.get(file);
    return filePaths(file, { ...(defaultPath && { defaultPath }), ...(caBase !== undefined && { caBase }), ...(crtBase !== undefined && { crtBase }) }, cwd);
  };
}
