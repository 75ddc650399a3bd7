// Assembles checked segments into the Config: applies `defaults` in order,
// then built-in values, and splits each `listen` into a frontend and a backend.

import { locate } from "./issues.ts";
import type { ProxyPart } from "./model.ts";
import type { ProxyKind } from "./raw.ts";
import type { CheckedProxy, CheckedSegment } from "./sections.ts";
import {
  type BackendConfig,
  BUILTIN,
  type FrontendConfig,
  type GlobalConfig,
  type Origin,
  type Timeouts,
} from "./types.ts";

/** Every proxy name as written, including those whose sections have errors. */
export interface NamedProxy {
  kind: ProxyKind;
  name: string;
  origin: Origin;
}

export interface DraftFrontend {
  config: FrontendConfig;
  named: NamedProxy;
  /** Where `default_backend` was written (the section header for a listen's own). */
  defaultBackendAt: Origin;
}

export interface DraftBackend {
  config: BackendConfig;
  named: NamedProxy;
}

/** The Config plus what the cross-checks need to point at the right place. */
export interface Draft {
  global: GlobalConfig;
  named: NamedProxy[];
  frontends: DraftFrontend[];
  backends: DraftBackend[];
}

const NO_DEFAULTS: ProxyPart = { timeouts: {} };

export function buildDraft(segments: CheckedSegment[]): Draft {
  const global: GlobalConfig = { ...BUILTIN.global };
  for (const seg of segments) Object.assign(global, seg.global);

  const draft: Draft = { global, named: [], frontends: [], backends: [] };
  let defaults = NO_DEFAULTS;
  for (const seg of segments) {
    // A broken `defaults` still replaces the previous one, as written.
    if (seg.defaults !== undefined) defaults = seg.defaults ?? NO_DEFAULTS;
    for (const proxy of seg.proxies) {
      const named: NamedProxy = { kind: proxy.kind, name: proxy.name, origin: proxy.origin };
      draft.named.push(named);
      const part = proxy.part;
      if (!part) continue;
      if (proxy.kind !== "backend") {
        draft.frontends.push(frontend(proxy, named, part, defaults, global));
      }
      if (proxy.kind !== "frontend") draft.backends.push(backend(proxy, named, part, defaults));
    }
  }
  return draft;
}

function timeouts(defaults: ProxyPart, part: ProxyPart): Timeouts {
  return { ...BUILTIN.timeouts, ...defaults.timeouts, ...part.timeouts };
}

function frontend(
  proxy: CheckedProxy,
  named: NamedProxy,
  part: ProxyPart,
  defaults: ProxyPart,
  global: GlobalConfig,
): DraftFrontend {
  const config: FrontendConfig = {
    name: proxy.name,
    mode: part.mode ?? defaults.mode ?? BUILTIN.mode,
    binds: (part.binds ?? []).map((b) => ({
      host: b.host,
      port: b.port,
      origin: locate(proxy.seg, [...proxy.path, ...b.path]),
    })),
    maxconn: part.maxconn ?? defaults.maxconn ?? global.maxconn,
    timeouts: timeouts(defaults, part),
    origin: proxy.origin,
  };
  // A listen is its own default backend unless it names another.
  const defaultBackend = part.defaultBackend ?? (proxy.kind === "listen" ? proxy.name : undefined);
  if (defaultBackend !== undefined) config.defaultBackend = defaultBackend;
  const log = part.log ?? defaults.log;
  if (log !== undefined) config.log = log;
  return {
    config,
    named,
    defaultBackendAt: part.defaultBackend !== undefined
      ? locate(proxy.seg, [...proxy.path, "default_backend"])
      : proxy.origin,
  };
}

function backend(
  proxy: CheckedProxy,
  named: NamedProxy,
  part: ProxyPart,
  defaults: ProxyPart,
): DraftBackend {
  return {
    named,
    config: {
      name: proxy.name,
      mode: part.mode ?? defaults.mode ?? BUILTIN.mode,
      balance: part.balance ?? defaults.balance ?? BUILTIN.balance,
      servers: (part.servers ?? []).map((s) => {
        const { path, ...server } = s;
        return { ...server, origin: locate(proxy.seg, [...proxy.path, ...path], true) };
      }),
      retries: part.retries ?? defaults.retries ?? BUILTIN.retries,
      timeouts: timeouts(defaults, part),
      origin: proxy.origin,
    },
  };
}
