// Hand-built transactions and compile environments for the rules' unit tests.
import { FieldsHead } from "../../../src/http/fields-head.ts";
import { BodyKind, type Head } from "../../../src/http/message.ts";
import type { TlsFacts } from "../../../src/runtime/types.ts";
import type { CompileEnv, Sample, StickLookup, TrackedEntry, Txn, Vars, VarScope, World } from "../../../src/rules/types.ts";
import { type ParsedAcl, parseAcl } from "../../../src/rules/acl.ts";

export function request(method: string, target: string, fields: [string, string][] = [], versionMinor: 0 | 1 = 1): Head {
  const host = fields.find(([n]) => n.toLowerCase() === "host")?.[1];
  const head = new FieldsHead(fields, { isRequest: true, method, target, bodyKind: BodyKind.None, host });
  if (versionMinor === 0) Object.defineProperty(head, "versionMinor", { value: 0 });
  return head;
}

/** An HTTP/2 client's request as http2/request-head.ts makes it: host from :authority, its :scheme kept. */
export function h2Request(method: string, scheme: string, authority: string, path: string): Head {
  return new FieldsHead([["host", authority]], { isRequest: true, method, target: path, bodyKind: BodyKind.None, host: authority, absoluteScheme: scheme });
}

export function response(status: number, fields: [string, string][] = []): Head {
  return new FieldsHead(fields, { isRequest: false, status, bodyKind: BodyKind.None });
}

export class MapVars implements Vars {
  readonly values = new Map<string, Sample>();
  get(scope: VarScope, name: string): Sample | undefined {
    return this.values.get(`${scope}.${name}`);
  }
  set(scope: VarScope, name: string, value: Sample): void {
    this.values.set(`${scope}.${name}`, value);
  }
  unset(scope: VarScope, name: string): void {
    this.values.delete(`${scope}.${name}`);
  }
}

/** A stick-table entry with fixed counters. */
export function entry(table: string, counters: Record<string, number>, key?: Sample): TrackedEntry {
  return { table, key, read: (counter) => counters[counter] };
}

export interface TxnInit {
  request?: Head;
  /** "2.0": the request of an HTTP/2 client. */
  requestVersion?: string;
  response?: Head;
  payload?: Uint8Array;
  address?: string;
  port?: number;
  tls?: TlsFacts;
  backend?: string;
  tracked?: (TrackedEntry | undefined)[];
  env?: Record<string, string>;
  servers?: Record<string, Record<string, boolean>>;
  tables?: Record<string, Record<string, Record<string, number>>>;
  now?: number;
}

export function txn(init: TxnInit = {}): Txn {
  const servers = init.servers ?? {};
  const tables = init.tables ?? {};
  const world: World = {
    usableServers: (b) => (servers[b] === undefined ? -1 : Object.values(servers[b]!).filter((up) => up).length),
    serverUp: (b, s) => servers[b]?.[s],
    env: (name) => init.env?.[name],
    // 2023-11-14T22:13:20Z: `date` and the time converters read a fixed clock.
    wallNow: () => 1_700_000_000_000,
    table: (name): StickLookup | undefined => {
      const rows = tables[name];
      if (rows === undefined) return undefined;
      return { lookup: (key) => (rows[String(key)] === undefined ? undefined : { read: (c) => rows[String(key)]![c] }) };
    },
  };
  return {
    now: init.now ?? 1000,
    client: {
      address: init.address ?? "192.0.2.7",
      port: init.port ?? 51000,
      localAddress: "198.51.100.1",
      localPort: 443,
      tls: init.tls,
    },
    frontend: "fe_main",
    backend: init.backend,
    request: init.request,
    ...(init.requestVersion !== undefined ? { requestVersion: init.requestVersion } : {}),
    response: init.response,
    payload: init.payload,
    vars: new MapVars(),
    world,
    tracked: init.tracked ?? [undefined, undefined, undefined],
  };
}

export function env(files: Record<string, string> = {}, extra: Partial<CompileEnv> = {}): CompileEnv {
  return {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: ${path}`);
      return text;
    },
    hasTable: (name) => name === "st_src" || name === "st_other",
    ownTable: "st_src",
    hasBackend: (name) => name === "be_app" || name === "be_static",
    ...extra,
  };
}

/** `acl` lines as config/ would hand them: name, then the words after it. */
export function acls(lines: readonly string[]): Map<string, ParsedAcl[]> {
  const out = new Map<string, ParsedAcl[]>();
  for (const line of lines) {
    const [name, ...words] = line.split(/\s+/);
    const parsed = parseAcl(words);
    if (typeof parsed === "string") throw new Error(`${line}: ${parsed}`);
    out.set(name!, [...(out.get(name!) ?? []), parsed]);
  }
  return out;
}

