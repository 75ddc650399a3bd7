// Checks that need the whole configuration: names across sections and
// files, references, modes (a frontend's and its backend's; a server's
// `proto h2` and its backend's), and addresses.
//
// Severity choices:
// - A backend (or listen) without servers is a WARNING: HAProxy accepts it
//   (servers may come later), its connections simply fail.
// - A frontend without default_backend (and without use_backend) is a
//   WARNING: its connections are refused, but HAProxy accepts it.
// - A frontend without bind is an ERROR, as in HAProxy: it could never run.

import { acrossFamilies, bindAddress, isWildcardHost } from "./address.ts";
import { ConfigError, ConfigNotice, formatPos } from "./errors.ts";
import type { Draft, DraftBackend, DraftFrontend, NamedProxy } from "./build.ts";
import { HASHING, NEEDS_HTTP } from "./balance.ts";
import type { BindConfig, GlobalConfig } from "./types.ts";
import { httpOnlyVariable } from "../log/format.ts";
import { logFormatSamples } from "./log-format.ts";

export interface Findings {
  errors: ConfigError[];
  warnings: ConfigError[];
}

export function validate(draft: Draft): Findings {
  const found: Findings = { errors: [], warnings: [] };
  const { duplicates, backendNames } = checkNames(draft.named, found);
  const frontends = draft.frontends.filter((f) => !duplicates.has(f.named));
  const backends = draft.backends.filter((b) => !duplicates.has(b.named));
  const byName = new Map(backends.map((b) => [b.config.name, b]));

  for (const b of backends) checkServers(b, found);
  checkTracking(backends, found);
  for (const b of backends) checkBalance(b, found);
  for (const b of backends) found.errors.push(...b.checkProblems);
  for (const b of backends) if (b.config.healthCheck.kind === "external") checkExternal(b, draft.global, found);
  for (const f of frontends) checkFrontend(f, byName, backendNames, found);
  checkBinds(frontends, found);
  found.errors.push(...draft.statsProblems);
  found.warnings.push(...draft.statsWarnings);
  return found;
}

/** `option external-check` needs the global `external-check`; without `insecure-fork-wanted` HAProxy warns (its words). */
function checkExternal(b: DraftBackend, global: GlobalConfig, found: Findings): void {
  if (global.externalCheck !== true) {
    found.errors.push(new ConfigError(b.config.origin, [where(b.named)], "'option external-check' unable to find required 'global.external-check'"));
  }
  if (global.insecureForkWanted !== true) {
    found.warnings.push(new ConfigError(b.config.origin, [where(b.named)], "'insecure-fork-wanted' not enabled in the global section, 'option external-check' will likely fail"));
  }
}

function where(p: NamedProxy): string {
  return `${p.kind} '${p.name}'`;
}

/** A listen is a frontend and a backend: it clashes with either, as in HAProxy. */
function checkNames(named: NamedProxy[], found: Findings) {
  const frontends = new Map<string, NamedProxy>();
  const backends = new Map<string, NamedProxy>();
  const duplicates = new Set<NamedProxy>();
  for (const p of named) {
    const roles = p.kind === "listen"
      ? [frontends, backends]
      : p.kind === "frontend"
      ? [frontends]
      : [backends];
    const first = roles.map((r) => r.get(p.name)).find((x) => x !== undefined);
    if (first) {
      duplicates.add(p);
      found.errors.push(
        new ConfigError(
          p.origin,
          [where(p)],
          `duplicate name (${where(first)} is already defined at ${formatPos(first.origin)})`,
        ),
      );
      continue;
    }
    for (const r of roles) r.set(p.name, p);
  }
  return { duplicates, backendNames: new Set(backends.keys()) };
}

function checkServers(b: DraftBackend, found: Findings): void {
  const seen = new Map<string, BindConfig["origin"]>();
  // A stream is translated for HTTP/2 from its first byte on: one backend speaks one protocol.
  const h2 = b.config.servers.filter((s) => s.proto === "h2");
  if (b.config.mode === "http" && h2.length !== 0 && h2.length !== b.config.servers.length) {
    const s = h2[0]!;
    found.errors.push(
      new ConfigError(
        b.protoAt[b.config.servers.indexOf(s)] ?? s.origin,
        [where(b.named), `server '${s.name}'`],
        "proto h2 on some servers of a backend and not on others is not supported (put them in two backends)",
      ),
    );
  }
  for (const [i, s] of b.config.servers.entries()) {
    // HTTP/2 carries HTTP messages: a tcp backend has none to give it.
    if (s.proto === "h2" && b.config.mode !== "http") {
      found.errors.push(
        new ConfigError(
          b.protoAt[i] ?? s.origin,
          [where(b.named), `server '${s.name}'`],
          `proto h2 needs mode http (this ${b.named.kind} is in ${b.config.mode} mode)`,
        ),
      );
    }
    // An HTTP/2 connection is shared by many clients: one PROXY header cannot speak for all of them.
    if (s.proto === "h2" && s.sendProxy && b.config.mode === "http") {
      found.errors.push(
        new ConfigError(
          b.protoAt[i] ?? s.origin,
          [where(b.named), `server '${s.name}'`],
          "send-proxy with proto h2 is not supported yet (an HTTP/2 connection carries many clients' streams; use proto h1)",
        ),
      );
    }
    const first = seen.get(s.name);
    if (first) {
      found.errors.push(
        new ConfigError(
          s.origin,
          [where(b.named), `server '${s.name}'`],
          `duplicate name (server '${s.name}' is already defined at ${formatPos(first)})`,
        ),
      );
    } else {
      seen.set(s.name, s.origin);
    }
  }
  // HAProxy silently ignores retry-on outside mode http; a notice costs nothing.
  const ignored = b.retryOnIgnored;
  if (ignored !== undefined) {
    found.warnings.push(
      new ConfigNotice(
        ignored.at,
        [where(b.named)],
        `retry-on ${ignored.conditions.join(" ")} is ignored in mode tcp (only connection failures are retried there)`,
      ),
    );
  }
  // Persistence by a cookie is HTTP's (issue 15, cookie); HAProxy warns in the same words.
  if (b.cookieIgnoredAt !== undefined) {
    found.warnings.push(new ConfigError(b.cookieIgnoredAt, [where(b.named)], `cookie will be ignored for backend '${b.named.name}' (needs 'mode http')`));
  }
  // HAProxy says nothing of a backend without servers: a notice.
  if (b.config.servers.length === 0) {
    found.warnings.push(
      new ConfigNotice(
        b.config.origin,
        [where(b.named)],
        "no server (connections sent here will fail)",
      ),
    );
  }
}

/**
 * `track [B/]S`: the server tracked exists, has checks or tracks another in
 * turn (a chain ends with a checked server, never back where it began), and
 * the tracking server has no checks of its own: HAProxy's rules and words.
 */
function checkTracking(backends: DraftBackend[], found: Findings): void {
  const byName = new Map(backends.map((b) => [b.config.name, b]));
  const serverOf = (b: DraftBackend, name: string) => b.config.servers.find((s) => s.name === name);
  // A loop is reported once, at the server of the configuration that closes it (the last of it, as HAProxy reads them).
  const order = new Map(backends.flatMap((b) => b.config.servers).map((s, i) => [s, i]));
  for (const b of backends) {
    for (const s of b.config.servers) {
      if (s.track === undefined) continue;
      const fail = (detail: string) => found.errors.push(new ConfigError(s.origin, [where(b.named)], `'server ${b.config.name}/${s.name}' : ${detail}`));
      if (s.check !== undefined) {
        fail("unable to enable checks and tracking at the same time!");
        continue;
      }
      const owner = s.track.backend === undefined ? b : byName.get(s.track.backend);
      if (owner === undefined) {
        fail(`unable to find required proxy '${s.track.backend}' for tracking.`);
        continue;
      }
      const tracked = serverOf(owner, s.track.server);
      if (tracked === undefined) {
        fail(`unable to find required server '${s.track.server}' for tracking.`);
        continue;
      }
      // Along the chain: a checked server ends it; coming back to this one is a loop.
      let at = { backend: owner, server: tracked };
      let last = order.get(s)!;
      for (let hops = 0; ; hops++) {
        if (at.server === s) {
          if (last === order.get(s)) fail(`unable to track ${owner.config.name}/${tracked.name} as it belongs to a tracking chain looping back to ${b.config.name}/${s.name}.`);
          break;
        }
        // A loop this server leads into without being part of it: its members report it.
        if (hops > order.size) break;
        last = Math.max(last, order.get(at.server) ?? 0);
        // A server with checks, or an agent, ends the chain (HAProxy: "any check nor agent").
        if (at.server.check !== undefined || at.server.agent !== undefined) break;
        const next = at.server.track;
        const nextOwner = next === undefined ? undefined : next.backend === undefined ? at.backend : byName.get(next.backend);
        const nextServer = next === undefined || nextOwner === undefined ? undefined : serverOf(nextOwner, next.server);
        if (nextOwner === undefined || nextServer === undefined) {
          if (next === undefined) fail(`unable to use ${owner.config.name}/${tracked.name} for tracking as it does not have any check nor agent enabled.`);
          break;
        }
        at = { backend: nextOwner, server: nextServer };
      }
    }
  }
}

/** `hash-type` only means something to an algorithm that hashes; uri, url_param and hdr read an HTTP request that mode tcp has not. */
function checkBalance(b: DraftBackend, found: Findings): void {
  const algorithm = b.config.balance.algorithm;
  if (b.hashTypeAt !== undefined && !HASHING.has(algorithm)) {
    found.errors.push(
      new ConfigError(
        b.hashTypeAt,
        [where(b.named)],
        `hash-type needs a hashing balance algorithm (source, uri, url_param, hdr, hash); this ${b.named.kind} balances by ${algorithm}`,
      ),
    );
  }
  if (NEEDS_HTTP.has(algorithm) && b.config.mode !== "http") {
    found.errors.push(
      new ConfigError(
        b.balanceAt,
        [where(b.named)],
        `balance ${algorithm} needs mode http (this ${b.named.kind} is in ${b.config.mode} mode; in tcp mode use roundrobin, static-rr, leastconn, first, random or source)`,
      ),
    );
  }
}

/**
 * A mode tcp frontend's log format, as HAProxy 2.6 checks it: `option
 * httplog` falls back to tcplog with a warning; a log-format naming what only
 * HTTP has (%r, %HM, %TR, %Ta, %CC...) is refused, at the line that
 * wrote it (the defaults' when inherited). Sample expressions are read over
 * the connection's transaction, as in mode http.
 */
function checkLogFormatMode(f: DraftFrontend, ctx: string[], found: Findings): void {
  const c = f.config;
  if (c.mode !== "tcp") return;
  if (c.log === "http" || c.log === "clf") {
    found.warnings.push(new ConfigError(f.logChoiceAt, ctx, `'option httplog' not usable with ${f.named.kind === "listen" ? "proxy" : "frontend"} '${c.name}' (needs 'mode http'). Falling back to 'option tcplog'.`));
  }
  if (c.logFormat === undefined) return;
  const variable = httpOnlyVariable(c.logFormat);
  if (variable !== undefined) {
    found.errors.push(new ConfigError(f.logChoiceAt, [...ctx, "log-format"], `format variable '${variable}' is reserved for HTTP mode (this ${f.named.kind} is in mode tcp)`));
  }
}

function checkFrontend(
  f: DraftFrontend,
  backends: Map<string, DraftBackend>,
  backendNames: Set<string>,
  found: Findings,
): void {
  const ctx = [where(f.named)];
  // HAProxy's own warning: monitor-uri answers HTTP requests only.
  if (f.config.monitorUri !== undefined && f.config.mode !== "http") {
    found.warnings.push(new ConfigError(f.config.origin, ctx, `monitor-uri will be ignored for ${where(f.named)} (needs 'mode http')`));
  }
  checkLogFormatMode(f, ctx, found);
  // HTTP/2 carries HTTP messages: a tcp frontend has none to take from it.
  const h2 = f.config.binds.find((bind) => bind.proto === "h2");
  if (h2 !== undefined && f.config.mode !== "http") {
    found.errors.push(
      new ConfigError(h2.origin, [...ctx, "bind"], `proto h2 needs mode http (this ${f.named.kind} is in ${f.config.mode} mode)`),
    );
  }
  // HAProxy 2.6 only warns, in nearly these words: the proxy listens nowhere.
  if (f.config.binds.length === 0) {
    found.warnings.push(
      new ConfigError(f.config.origin, ctx, "no 'bind' directive: it listens nowhere. Please declare it as a backend if this was intended."),
    );
  }
  const target = f.config.defaultBackend;
  // With use_backend lines, requests none of them takes get 503 (HAProxy's behaviour too).
  if (target === undefined && (f.config.ruleLines?.use_backend.length ?? 0) > 0) return;
  // HAProxy says nothing here either: a notice.
  if (target === undefined) {
    found.warnings.push(
      new ConfigNotice(f.config.origin, ctx, "no default_backend (connections will be refused)"),
    );
    return;
  }
  if (!backendNames.has(target)) {
    found.errors.push(
      new ConfigError(
        f.defaultBackendAt,
        ctx,
        `default_backend '${target}' is not defined (no backend or listen has that name)`,
      ),
    );
    return;
  }
  // Absent when the backend's own section has errors: already reported.
  const b = backends.get(target);
  // A tcp frontend may hand its connections to an http backend (HAProxy's TCP to HTTP upgrade), not the reverse.
  if (b && b.config.mode === "tcp" && f.config.mode === "http") {
    found.errors.push(
      new ConfigError(
        f.defaultBackendAt,
        ctx,
        `default_backend '${target}' is in tcp mode but this ${f.named.kind} is in http mode (an http frontend cannot use a tcp backend; a tcp frontend may use an http one)`,
      ),
    );
  }
}

/** Two binds clash on the same port when the hosts are equal or either is a wildcard. */
function checkBinds(frontends: DraftFrontend[], found: Findings): void {
  const taken: { bind: BindConfig; owner: NamedProxy }[] = [];
  for (const f of frontends) {
    for (const bind of f.config.binds) {
      const host = bind.host.toLowerCase();
      const clash = taken.find((t) => {
        // A UNIX socket clashes with the same path only (the second would replace the first's file).
        if (t.bind.unix !== undefined || bind.unix !== undefined) return t.bind.unix?.path === bind.unix?.path;
        if (t.bind.port !== bind.port) return false;
        // IPv4 beside IPv6: apart, or shared within one frontend (as HAProxy, with SO_REUSEPORT).
        const families = acrossFamilies(t.bind, bind);
        if (families !== undefined) return families === "shared" && t.owner !== f.named;
        return t.bind.host.toLowerCase() === host || isWildcardHost(t.bind.host) || isWildcardHost(bind.host);
      });
      if (clash) {
        found.errors.push(
          new ConfigError(
            bind.origin,
            [where(f.named), "bind"],
            `${bindAddress(bind)} conflicts with ${bindAddress(clash.bind)} (${where(clash.owner)} at ${formatPos(clash.bind.origin)})`,
          ),
        );
      } else {
        taken.push({ bind, owner: f.named });
      }
    }
  }
}
