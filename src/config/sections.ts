// Runs the schemas of model.ts over one raw segment, section by section, so a
// broken section still leaves the others (and its own name) to be checked.
// Then the files a section names: `errorfile`s are read and checked, `log`
// file paths joined to the directory of the config file (see errorfile.ts).

import { httpErrorPage } from "./schema-http-error.ts";
import * as v from "valibot";
import { contextOf } from "./context.ts";
import { type ErrorFileResult, readErrorFile } from "./errorfile.ts";
import { DEFAULT_BUFSIZE, tooLargeProblem } from "./errorfile-size.ts";
import type { ErrorAnswerReport, ErrorAnswerStep } from "./error-answers.ts";
import { errorLocResponse } from "./schema-corpus.ts";
import { type HttpErrorsPages, HttpErrorsSectionSchema } from "./schema-http-errors.ts";
import type { FilePaths } from "./schema-paths.ts";
import { ConfigError, type SourcePos } from "./errors.ts";
import { locate, toErrors } from "./issues.ts";
import { settleLogChoice } from "./log-choice.ts";
import {
  DefaultsSchema,
  DocumentSchema,
  type GlobalPart,
  GlobalSchema,
  nameSchema,
  PROXY_SCHEMAS,
  type ProxyPart,
} from "./model.ts";
import {
  type PathSeg,
  PROXY_KINDS,
  type ProxyCategory,
  type ProxyKind,
  type RawSegment,
} from "./raw.ts";
import type { LogTarget, Origin, UserlistConfig } from "./types.ts";
import { UserlistSchema, userlistConfig } from "./schema-userlist.ts";
import { type PeersPart, PeersSectionSchema } from "./schema-peers.ts";
import { CacheSchema } from "./schema-cache.ts";
import type { CacheConfig } from "./types-filters.ts";
import { ResolversSchema, resolversConfig } from "./schema-resolvers.ts";
import type { ResolversConfig } from "./types-resolvers.ts";
import { loadBindTls, loadServerTls } from "./tls-files.ts";
import { readFileSync } from "node:fs";
import { readCaseAdjustFile } from "./schema-env.ts";

export interface CheckedProxy {
  kind: ProxyKind;
  name: string;
  seg: RawSegment;
  /** [category, name]: where its keywords are in the raw document. */
  path: PathSeg[];
  origin: Origin;
  /** Undefined when the section has errors (already reported). */
  part?: ProxyPart;
}

export interface CheckedSegment {
  global?: GlobalPart;
  /** Absent: the segment keeps the defaults in force. null: its `defaults` has errors. */
  defaults?: ProxyPart | null;
  /** In the order they were written. */
  proxies: CheckedProxy[];
  /** `userlist` sections; a broken one keeps its name and origin (for the duplicate check) without a config. */
  userlists?: { name: string; origin: Origin; config?: UserlistConfig }[];
  /** `peers` sections; a broken one keeps its name and origin without a part. */
  peers?: { name: string; origin: Origin; part?: PeersPart }[];
  /** `cache` sections, as userlists (schema-cache.ts). */
  caches?: { name: string; origin: Origin; config?: CacheConfig }[];
  /** `resolvers` sections; a broken one keeps its name (servers naming it are not reported twice). */
  resolvers?: { name: string; origin: Origin; config?: ResolversConfig }[];
  /** What HAProxy accepts with a warning (an http-error's content-type or hdr it drops). */
  warnings: ConfigError[];
  /** `http-errors` sections: their pages by status (a broken page is left out, its error reported). */
  httpErrors?: { name: string; origin: Origin; config: HttpErrorsPages }[];
}

/**
 * `paths`: how the files this segment's file names are found (schema-paths.ts); `bufsize`: the
 * tune.bufsize of the global sections before (an error page must fit in it, errorfile-size.ts).
 */
export function checkSegment(seg: RawSegment, errors: ConfigError[], paths: FilePaths, bufsize = DEFAULT_BUFSIZE): CheckedSegment {
  const doc = seg.doc;
  const out: CheckedSegment = { proxies: [], warnings: [] };

  const outline = v.safeParse(DocumentSchema, doc);
  if (!outline.success) errors.push(...toErrors(outline.issues, [], seg));

  if (doc.global !== undefined) {
    const r = v.safeParse(GlobalSchema, doc.global);
    if (r.success) {
      out.global = r.output;
      const adjustFile = r.output.caseAdjustFile;
      if (adjustFile !== undefined) {
        delete out.global.caseAdjustFile;
        let text: string | undefined;
        try {
          text = readFileSync(paths.near(adjustFile), "utf8");
        } catch (e) {
          errors.push(new ConfigError(locate(seg, ["global", "h1-case-adjust-file"], true), ["global"], `h1-case-adjust-file: cannot read '${adjustFile}': ${(e as { code?: string }).code ?? String(e)}`));
        }
        if (text !== undefined) {
          const map = readCaseAdjustFile(text);
          if (typeof map === "string") errors.push(new ConfigError(locate(seg, ["global", "h1-case-adjust-file"], true), ["global"], `h1-case-adjust-file '${adjustFile}': ${map}`));
          else out.global.caseAdjust = { ...map, ...out.global.caseAdjust };
        }
      }
      bufsize = r.output.bufsize ?? bufsize;
      for (const target of r.output.logs ?? []) placeLogFile(target, paths);
    } else {
      errors.push(...toErrors(r.issues, ["global"], seg));
    }
  }
  if ("defaults" in doc) {
    const r = v.safeParse(DefaultsSchema, doc.defaults);
    out.defaults = r.success ? r.output : null;
    if (r.success) {
      readFiles(r.output, seg, ["defaults"], { errors, warnings: out.warnings }, paths, bufsize);
      settleLogChoice(r.output, seg, ["defaults"]);
    }
    else errors.push(...toErrors(r.issues, ["defaults"], seg));
  }

  for (const category of Object.keys(PROXY_KINDS) as ProxyCategory[]) {
    const group = doc[category];
    if (group === null || typeof group !== "object" || Array.isArray(group)) continue;
    const kind = PROXY_KINDS[category];
    for (const [name, raw] of Object.entries(group)) {
      const path = [category, name];
      const origin = locate(seg, path, true);
      const checkedName = v.safeParse(nameSchema(kind), name);
      if (!checkedName.success) {
        errors.push(
          ...checkedName.issues.map((issue) => new ConfigError(origin, [], issue.message)),
        );
      }
      const r = v.safeParse(PROXY_SCHEMAS[category], raw);
      if (!r.success) errors.push(...toErrors(r.issues, path, seg));
      const proxy: CheckedProxy = { kind, name, seg, path, origin };
      if (r.success) {
        readFiles(r.output, seg, path, { errors, warnings: out.warnings }, paths, bufsize);
        settleLogChoice(r.output, seg, path);
        proxy.part = r.output;
      }
      out.proxies.push(proxy);
    }
  }
  checkUserlists(seg, out, errors);
  checkPeers(seg, out, errors);
  checkCaches(seg, out, errors);
  checkResolvers(seg, out, errors);
  checkHttpErrorsSections(seg, out, errors, paths, bufsize);
  // Categories are separate mappings; the file interleaves them.
  out.proxies.sort((a, b) =>
    (a.origin.line ?? 0) - (b.origin.line ?? 0) || (a.origin.col ?? 0) - (b.origin.col ?? 0)
  );
  return out;
}

function checkCaches(seg: RawSegment, out: CheckedSegment, errors: ConfigError[]): void {
  const group = seg.doc.caches;
  if (group === null || typeof group !== "object" || Array.isArray(group)) return;
  out.caches = [];
  for (const [name, raw] of Object.entries(group)) {
    const path = ["caches", name];
    const origin = locate(seg, path, true);
    const r = v.safeParse(CacheSchema, raw);
    if (!r.success) errors.push(...toErrors(r.issues, path, seg));
    out.caches.push(r.success ? { name, origin, config: { name, ...r.output } } : { name, origin });
  }
}

function checkResolvers(seg: RawSegment, out: CheckedSegment, errors: ConfigError[]): void {
  const group = seg.doc.resolvers;
  if (group === null || typeof group !== "object" || Array.isArray(group)) return;
  out.resolvers = [];
  for (const [name, raw] of Object.entries(group)) {
    const path = ["resolvers", name];
    const origin = locate(seg, path, true);
    const r = v.safeParse(ResolversSchema, raw);
    if (!r.success) errors.push(...toErrors(r.issues, path, seg));
    out.resolvers.push(r.success ? { name, origin, config: resolversConfig(name, r.output, origin) } : { name, origin });
  }
}

function checkUserlists(seg: RawSegment, out: CheckedSegment, errors: ConfigError[]): void {
  const group = seg.doc.userlists;
  if (group === null || typeof group !== "object" || Array.isArray(group)) return;
  out.userlists = [];
  for (const [name, raw] of Object.entries(group)) {
    const path = ["userlists", name];
    const origin = locate(seg, path, true);
    const checkedName = v.safeParse(nameSchema("userlist"), name);
    if (!checkedName.success) errors.push(...checkedName.issues.map((issue) => new ConfigError(origin, [], issue.message)));
    const r = v.safeParse(UserlistSchema, raw);
    if (!r.success) errors.push(...toErrors(r.issues, path, seg));
    const config = r.success ? userlistConfig(name, r.output, seg, path, errors) : undefined;
    out.userlists.push(config === undefined ? { name, origin } : { name, origin, config });
  }
}

function checkPeers(seg: RawSegment, out: CheckedSegment, errors: ConfigError[]): void {
  const group = seg.doc.peers;
  if (group === null || typeof group !== "object" || Array.isArray(group)) return;
  out.peers = [];
  for (const [name, raw] of Object.entries(group)) {
    const path = ["peers", name];
    const origin = locate(seg, path, true);
    const checkedName = v.safeParse(nameSchema("peers"), name);
    if (!checkedName.success) errors.push(...checkedName.issues.map((issue) => new ConfigError(origin, [], issue.message)));
    const r = v.safeParse(PeersSectionSchema, raw);
    if (!r.success) errors.push(...toErrors(r.issues, path, seg));
    out.peers.push(r.success ? { name, origin, part: r.output } : { name, origin });
  }
}

/** Reads the certificates and CA files of TLS binds and servers (global defaults apply in build.ts). */
function readTlsFiles(part: ProxyPart, seg: RawSegment, base: PathSeg[], errors: ConfigError[], paths: FilePaths): void {
  const fail = (path: PathSeg[], list: string[]) => {
    for (const e of list) errors.push(new ConfigError(locate(seg, [...base, ...path]), contextOf(base, seg.doc), e));
  };
  // One address list shares its options: read its files once.
  const loaded = new Map<object, ReturnType<typeof loadBindTls>>();
  for (const bind of part.binds ?? []) {
    if (bind.ssl === undefined) continue;
    let r = loaded.get(bind.ssl);
    if (r === undefined) {
      r = loadBindTls(bind.ssl, paths, {});
      loaded.set(bind.ssl, r);
      if (!r.ok) fail(bind.path, r.errors);
    }
    if (r.ok) bind.tls = r.value;
  }
  for (const server of part.servers ?? []) {
    if (server.ssl === undefined) continue;
    const r = loadServerTls(server.ssl, paths);
    if (r.ok) server.tls = r.value;
    else fail(server.path, r.errors.map((e) => `server '${server.name}': ${e}`));
  }
}

/** Reads the section's TLS files and error pages (`part.errorSteps`); places its log files. */
function readFiles(part: ProxyPart, seg: RawSegment, base: PathSeg[], report: ErrorAnswerReport, paths: FilePaths, bufsize: number): void {
  readTlsFiles(part, seg, base, report.errors, paths);
  for (const entry of part.logs ?? []) if (entry !== "global" && entry !== "none") placeLogFile(entry, paths);
  part.errorSteps = errorSteps(part, seg, base, report, paths, bufsize);
}

/**
 * The section's errorfile, errorloc*, http-error and errorfiles lines as
 * error-answers.ts steps, in the order they were written (HAProxy applies
 * them so: the later line for a status wins); files read and checked now.
 */
function errorSteps(part: ProxyPart, seg: RawSegment, base: PathSeg[], report: ErrorAnswerReport, paths: FilePaths, bufsize: number): ErrorAnswerStep[] {
  const context = contextOf(base, seg.doc);
  const fail = (at: SourcePos, detail: string) => report.errors.push(new ConfigError(at, context, detail));
  const placed: { at: SourcePos; step: ErrorAnswerStep }[] = [];
  for (const { code, file } of part.errorFiles ?? []) {
    const at = locate(seg, [...base, "errorfile", String(code)]);
    const page = readPage(code, paths.near(file), bufsize);
    if (page.ok) placed.push({ at, step: { kind: "page", code, page: page.response } });
    else fail(at, `errorfile ${code} '${file}': ${page.error}`);
  }
  for (const loc of part.errorLocs ?? []) {
    placed.push({ at: locate(seg, [...base, loc.keyword, String(loc.code)]), step: { kind: "page", code: loc.code, page: errorLocResponse(loc) } });
  }
  part.errorFilesImports?.forEach((imported, i) => {
    const at = locate(seg, [...base, "errorfiles", i]);
    placed.push({ at, step: { kind: "import", section: imported.section, ...(imported.codes === undefined ? {} : { codes: imported.codes }), at, context } });
  });
  part.httpErrors?.forEach((e, i) => {
    const at = locate(seg, [...base, "http-error", i]);
    for (const message of e.ignored ?? []) report.warnings.push(new ConfigError(at, context, `http-error status ${e.code}: ${message}`));
    const p = e.payload;
    if (p.kind === "errorfiles") return placed.push({ at, step: { kind: "import", section: p.section, codes: [e.code], at, context } });
    if (p.kind === "default-errorfiles") return placed.push({ at, step: { kind: "reset", code: e.code } });
    const page = httpErrorPage(e, (path) => paths.near(path), bufsize);
    if (page === undefined) return;
    if (!page.ok) return fail(at, `http-error status ${e.code}: ${page.error}`);
    // A page built per transaction is checked when it is compiled (config/rules.ts); its size is not (HAProxy's is known when it is built).
    if ("format" in page) return placed.push({ at, step: { kind: "format", code: e.code, format: { ...page.format, origin: at } } });
    // An errorfile is held as HAProxy holds one (errorfile-size.ts); a payload was checked against the buffer's size.
    const problem = p.kind === "errorfile" ? tooLargeProblem(page.response, bufsize) : undefined;
    if (problem !== undefined && p.kind === "errorfile") return fail(at, `http-error status ${e.code}: errorfile '${p.path}': ${problem}`);
    placed.push({ at, step: { kind: "page", code: e.code, page: page.response } });
  });
  placed.sort((a, b) => (a.at.line ?? 0) - (b.at.line ?? 0) || (a.at.col ?? 0) - (b.at.col ?? 0));
  return placed.map((p) => p.step);
}

/** An errorfile read and checked, as HAProxy checks it: a raw HTTP response that fits its buffer. */
function readPage(code: number, file: string, bufsize: number): ErrorFileResult {
  const r = readErrorFile(code, file);
  if (!r.ok) return r;
  const problem = tooLargeProblem(r.response, bufsize);
  return problem === undefined ? r : { ok: false, error: problem };
}

/** The segment's `http-errors` sections, their files read; a broken one keeps its name (no error twice for a proxy that names it). */
function checkHttpErrorsSections(seg: RawSegment, out: CheckedSegment, errors: ConfigError[], paths: FilePaths, bufsize: number): void {
  const group = seg.doc["http-errors"];
  if (group === null || typeof group !== "object" || Array.isArray(group)) return;
  out.httpErrors = [];
  for (const [name, raw] of Object.entries(group)) {
    const path = ["http-errors", name];
    const origin = locate(seg, path, true);
    const r = v.safeParse(HttpErrorsSectionSchema, raw);
    if (!r.success) {
      errors.push(...toErrors(r.issues, path, seg));
      out.httpErrors.push({ name, origin, config: {} });
      continue;
    }
    const pages: Record<number, Uint8Array> = {};
    for (const { code, file } of r.output.errorfile ?? []) {
      const page = readPage(code, paths.near(file), bufsize);
      if (page.ok) pages[code] = page.response;
      else errors.push(new ConfigError(locate(seg, [...path, "errorfile", String(code)]), [`http-errors '${name}'`], `errorfile ${code} '${file}': ${page.error}`));
    }
    out.httpErrors.push({ name, origin, config: pages });
  }
}

function placeLogFile(target: LogTarget, paths: FilePaths): void {
  if (target.path !== undefined) target.path = paths.near(target.path);
}
