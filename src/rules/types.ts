// The shapes of HAProxy's rule language in sluice (issue 15), apart from the
// code that fills them: samples, fetches, converters, matchers, conditions,
// actions and the transaction they read. Rules are compiled once at load into
// closures over these types; per request only the closures run.
//
// Layering: rules/ sits under config/ (which compiles rule lines and reports
// errors with file:line) and over http/, tls/, stick/ and runtime/. It never
// imports backend/, stream/ or session/: what a rule needs from them (server
// states, the stick tables, the response being written) comes through the
// interfaces below, which the session layer implements.
import type { Head } from "../http/message.ts";
import type { TlsFacts } from "../runtime/types.ts";
import type { Userlist } from "./auth/userlist.ts";
import type { BodySink, HttpCache } from "./cache/store.ts";
import type { MapLine } from "./match/files.ts";
import type { MapRef, RefKind } from "./match/map-ref.ts";

/**
 * A sample: what a fetch yields and a converter transforms. Strings carry
 * str, ip (the address as text, as sockets report it) and bin (latin1);
 * numbers carry int; booleans carry bool. `undefined` means "no sample"
 * (a missing header, a failed conversion): a condition on it does not match.
 */
export type Sample = string | number | boolean;

/** Sample types, for checking a converter against its input at load. */
export type SampleType = "str" | "int" | "bool" | "ip" | "bin" | "meth";

/**
 * Where a rule runs (HAProxy's "usable in" columns), as bits: a fetch lists
 * where it is available; a rule set is one of them; a fetch used where it is
 * not available is a load error (`res.hdr` in `http-request`).
 */
export const Stage = {
  /** `tcp-request connection`: addresses and ports only. */
  tcpConnection: 1,
  /** `tcp-request content` / `tcp-request inspect-delay`: plus the first payload (req.ssl_sni). */
  tcpContent: 2,
  /** `http-request`, `use_backend`, `use-server`, `stick match/on`, `redirect`. */
  httpRequest: 4,
  /** `http-response`. */
  httpResponse: 8,
  /** `http-after-response`. */
  httpAfterResponse: 16,
  /** `tcp-request session`: the connection once complete (after the PROXY header and the TLS handshake: ssl_fc_sni). */
  tcpSession: 32,
} as const;
export type StageBit = (typeof Stage)[keyof typeof Stage];
/** Every stage (fetches of the connection: src, dst, ssl_fc...). */
export const ANY_STAGE = 63;
/** The HTTP stages where a request exists. */
export const HTTP_STAGES = Stage.httpRequest | Stage.httpResponse | Stage.httpAfterResponse;

/** Variable scopes of `set-var(txn.name)`; `proc` is process-wide. */
export type VarScope = "proc" | "sess" | "txn" | "req" | "res";

/** The variables a transaction sees: one store per scope. */
export interface Vars {
  get(scope: VarScope, name: string): Sample | undefined;
  set(scope: VarScope, name: string, value: Sample): void;
  unset(scope: VarScope, name: string): void;
}

/** What rules may ask of the proxy around them (implemented by the session layer). */
export interface World {
  /** Usable servers of a backend (`nbsrv`); -1: no such backend. */
  usableServers(backend: string): number;
  /** `srv_is_up(backend/server)`; undefined: no such server. */
  serverUp(backend: string, server: string): boolean | undefined;
  /** `env(NAME)`. */
  env(name: string): string | undefined;
  /** The wall clock, ms since the epoch (`date`, the runtime's clock). */
  wallNow(): number;
  /** A declared stick table by name, for lookups by key (`table_*` converters, `src_*` fetches); undefined: none. */
  table?(name: string): StickLookup | undefined;
}

/** What a lookup in a stick table needs: the entry for a key (a sample as the table's type reads it), if any. */
export interface StickLookup {
  lookup(key: Sample, now: number): { read(counter: string, now: number): number | undefined } | undefined;
}

/** The client connection, as every stage sees it. */
export interface ClientFacts {
  readonly address: string;
  readonly port: number;
  /** The proxy's address and port the client reached (dst, dst_port). */
  readonly localAddress: string;
  readonly localPort: number;
  /** TLS facts when the bind terminates TLS (ssl_fc, ssl_fc_sni...). */
  readonly tls: TlsFacts | undefined;
}

/**
 * One transaction as rules see it: the connection, the request and (in
 * response stages) the response, the variables, the stick counters tracked so
 * far. Heads are the current ones: a rewrite replaces `request`, and what
 * comes next sees the rewritten head (`use_backend` after `set-path`).
 */
export interface Txn {
  /** Monotonic ms of the event being handled (the runtime's clock; moved on between stages). */
  now: number;
  readonly client: ClientFacts;
  /** The frontend's name; the backend's once chosen (fe_name, be_name). */
  readonly frontend: string;
  backend: string | undefined;
  /** Response stages: the server that answered (srv_name); undefined before, or for an answer of sluice's own. */
  server?: string | undefined;
  /** `unique-id-format`: the request's id (the `unique-id` fetch); undefined: the frontend makes none. */
  uniqueId?: string | undefined;
  /** `http-request early-hint`: the fields of the 103 Early Hints sent once the request rules are done. */
  earlyHints?: [string, string][] | undefined;
  /** HTTP stages: the request head (rewritten by set-* actions). */
  request: Head | undefined;
  /** The request head as it was received, before any rule rewrote it (capture.req.method, .uri, .ver). */
  readonly receivedRequest?: Head | undefined;
  /** The request's HTTP version when the head's own (1.0, 1.1) is not it: "2.0" for a stream of an HTTP/2 client. */
  readonly requestVersion?: string;
  /** Response stages: the response head. */
  response: Head | undefined;
  /** tcp-request content: the bytes received so far (req.ssl_sni, req.len). */
  readonly payload: Uint8Array | undefined;
  /** HTTP stages: the request body held for the rules (option http-buffer-request, wait-for-body); undefined: none was waited for. */
  readonly body?: HeldBody | undefined;
  /** Response stages: the response body held for the rules (`http-response wait-for-body`; the stream sets it); undefined: none was waited for. */
  responseBody?: HeldBody | undefined;
  /** tcp-request content: no more bytes will be waited for (inspect-delay passed, the client ended, the buffer is full). */
  readonly payloadFinal?: boolean;
  /** Set by a payload fetch whose answer may change with more bytes (HAProxy's SMP_F_MAY_CHANGE). */
  sampleMayChange?: boolean;
  /** Set by a tcp-request content condition that cannot tell yet (HAProxy's ACL_TEST_MISS): the rules wait for more bytes. */
  conditionMissed?: boolean;
  readonly vars: Vars;
  readonly world: World;
  /** Stick counters sc0, sc1, sc2 (track-sc*): the entry each tracks, if any. */
  readonly tracked: (TrackedEntry | undefined)[];
  /** Fetches' memo of the request target split once (rules/fetch/ fills it; nobody else needs to). */
  targetMemo?: TargetMemo;
  /** The frontend's request capture slots (capture.req.hdr); absent: this transaction has none. */
  readonly captures?: readonly string[];
  /** Its response capture slots (capture.res.hdr). */
  readonly responseCaptures?: readonly string[];
}

/**
 * The request target's parts as offsets, computed once per request head by
 * the path/query/url fetches. It names the head it was computed from: a
 * rewrite (set-path) installs a new head, and the memo no longer applies.
 */
export interface TargetMemo {
  head: Head;
  /** Offset of the path in head.target; -1: the target has no path (`*`, authority-form). */
  pathStart: number;
  /** Offset of the first '?' (or target.length): where the path ends. */
  pathEnd: number;
  /** The path string once sliced. */
  path: string | undefined;
  /** The URI once made (requestUri: absolute for an HTTP/2 request with an :authority). */
  uri: string | undefined;
}

/**
 * The first bytes of a request body, held before the rules run (at most the
 * buffer's room, tune.bufsize − tune.maxrewrite). `bytes()` and `text()`
 * join the chunks once per change, for the fetches that read them.
 */
export interface HeldBody {
  /** Bytes held. */
  readonly length: number;
  /** Bytes received so far, held or not (req.body_size of a body without an announced length). */
  readonly received: number;
  /** The announced Content-Length, or -1 (chunked, or an HTTP/2 stream without one). */
  readonly declared: number;
  bytes(): Uint8Array;
  /** The bytes as a binary sample (one character per byte). */
  text(): string;
}

/** What `wait-for-body time T [at-least N]` asks: wait at most `timeMs` (0: no limit of its own), or until `atLeast` bytes (0: the whole body) are held. */
export interface BodyWanted {
  readonly timeMs: number;
  readonly atLeast: number;
}

/** A stick-table entry a transaction tracks (the stick/ store implements it). */
export interface TrackedEntry {
  readonly table: string;
  /** The tracked key, when the store gives it: `sc_*(N,other_table)` looks it up in another table. */
  readonly key?: Sample;
  /** A stored counter's value now (`http_req_rate`, `conn_cur`, `gpc0`...); undefined if the table does not store it. */
  read(counter: string, now: number): number | undefined;
  /** `sc-inc-gpc0`/`sc-inc-gpc1`: adds one to the counter and to its `_rate` when the table stores them (a store without this method ignores the action). */
  increment?(counter: "gpc0" | "gpc1", now: number): void;
  /** The stick store's way to count `n` events of a counter's family (its `_cnt` and `_rate`); sc-inc-gpc0 uses it when `increment` is absent. */
  add?(counter: string, now: number, n?: number): boolean;
}

/** A compiled sample expression (fetch plus converters): the sample, or undefined. */
export type SampleFn = (t: Txn) => Sample | undefined;

/**
 * A fetch that can yield several values (`hdr(x)` with repeated fields): an
 * ACL matches when any of them matches. `visit` returns true to stop.
 */
export type EachFn = (t: Txn, visit: (s: Sample) => boolean) => boolean;

/** What compiling needs besides the words: files relative to the config, tables, backends. */
export interface CompileEnv {
  /** Reads a file named in a rule (`-f`, `map()`, `errorfile`, `return file`), relative to the config's directory. Throws with the path on failure. */
  readFile(path: string): string;
  /** The same file as bytes (`return file`, `errorfile`: payloads need not be text); without it, readFile's text is sent as UTF-8. */
  readBytes?(path: string): Uint8Array;
  /** Declared stick tables by name (a backend's `stick-table` or a table section). */
  hasTable(name: string): boolean;
  /** The proxy's own stick table, if it declares one (track-sc0 without `table`). */
  readonly ownTable: string | undefined;
  /** Backend names (use_backend, nbsrv). */
  hasBackend(name: string): boolean;
  /** A `userlist` section by name (http_auth, http_auth_group); absent: the configuration declares none. */
  userlist?(name: string): Userlist | undefined;
  /** A `cache` section's store by name (cache-use, cache-store); absent: the configuration declares none. */
  cache?(name: string): HttpCache | undefined;
  /**
   * A raw HTTP response file (`return|deny errorfile F`) read and checked as
   * the configuration checks its errorfiles (framing, room in HAProxy's
   * buffer), or what is wrong with it; absent: the file is only parsed.
   */
  errorFilePage?(path: string, status: number): Uint8Array | string;
  /** `tune.bufsize`: a reply's payload file may not be larger (HAProxy 2.6); absent: no limit. */
  readonly bufsize?: number;
  /** An `http-errors` section's pages by name (status → a raw HTTP/1.x response: `return|deny ... errorfiles NAME`); undefined: no such section. */
  httpErrors?(name: string): Readonly<Record<number, Uint8Array>> | undefined;
  /**
   * The configuration's map file `file`, read and parsed once and shared by
   * every converter that names it (the runtime API changes its entries), or
   * why it cannot be read ("cannot read map file ..."); absent: each
   * converter reads the file for itself. `kind`: who reads it (`show acl`
   * or `show map` lists it); `label`: how `show` names that reader ("acl",
   * or "map" for an ACL's -M file, as HAProxy; "" for an action, which
   * changes the file but does not read it), `kind` when absent.
   */
  mapRef?(file: string, parse: (text: string) => readonly MapLine[] | string, kind?: RefKind, label?: string): MapRef | string;
  /**
   * An ACL line's own values as a reference of the configuration (the
   * runtime API's `add acl #<id>` changes them); `what` describes it
   * ("acl 'src' file 'x.cfg' line 3"). Absent: the values are fixed.
   */
  inlineRef?(what: string, values: readonly string[]): MapRef;
  /** The configuration file and line being compiled ("file 'x.cfg' line 3"), for the references' descriptions. */
  where?(): string;
  /** The same place as a number that grows through the configuration (the order `get acl` lists readers in). */
  position?(): number;
}

/** A fetch as the registry knows it. */
export interface FetchDef {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly out: SampleType;
  /** Stage bits where it is available. */
  readonly stages: number;
  /** The match method an ACL uses when it names none (`path_beg` → beg, `src` → ip, `hdr` → str). */
  readonly match: MatchMethod;
  /** Its samples have the type of what was stored (`var`): `out` is a default, converters cast at run time. */
  readonly dynamic?: true;
  /** The evaluator for these arguments, or what is wrong with them; `stage` is the rule set it is compiled for (`hdr` reads the response in http-response). */
  compile(args: readonly string[], env: CompileEnv, stage?: StageBit): { one: SampleFn; each?: EachFn } | string;
}

/** A converter as the registry knows it. */
export interface ConverterDef {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Input types it takes ("str" takes any: samples cast to text as HAProxy casts). */
  readonly in: SampleType;
  readonly out: SampleType;
  compile(args: readonly string[], env: CompileEnv): ((s: Sample, t: Txn) => Sample | undefined) | string;
}

/** ACL match methods (`-m`). */
export type MatchMethod = "str" | "beg" | "end" | "sub" | "reg" | "dom" | "dir" | "found" | "len" | "ip" | "int" | "bool";

/** A compiled pattern set: does this sample match? No allocation for a miss. */
export type Matcher = (s: Sample) => boolean;

/** A compiled map (`map_str`, `map_beg`...): the value for a key, or undefined. */
export type Lookup<V> = (s: Sample) => V | undefined;

/** A compiled condition (`if`/`unless` with its terms). */
export type Condition = (t: Txn) => boolean;

/**
 * What an action says about the rules after it. HAProxy: `allow` stops the
 * rule set, `deny`/`return`/`redirect`/`auth`/`tarpit` end the transaction
 * with sluice's own reply, everything else goes on. `reject` (tcp-request)
 * closes the client connection without a word. `wait` (`wait-for-body`): the
 * rules pause at this action until the body it asks for has come (the
 * transaction's `bodyWanted` says how long and how much), then go on after it.
 */
export const Verdict = { continue: 0, stop: 1, reply: 2, tarpit: 3, reject: 4, wait: 5 } as const;
export type VerdictCode = (typeof Verdict)[keyof typeof Verdict];

/** A response of the proxy's own, as rules build it. */
export interface Reply {
  status: number;
  /** The status line's reason phrase when the page has its own (an errorfile's, the default pages'); undefined: the standard one. */
  reason?: string;
  /** Fields in order (content-type, location, www-authenticate, `hdr` of return). */
  fields: [string, string][];
  body: Uint8Array;
  /** Close the client connection after it (tarpit, deny with HTTP/1.0...). */
  close?: boolean;
  /** An empty errorfile (`errorfile 403 /dev/null`): nothing is sent, the connection closes, as HAProxy does. */
  silent?: boolean;
  /**
   * An answer of the proxy's own rather than a refusal (return, redirect,
   * auth): HAProxy's termination cause 'L' instead of 'P' (deny, tarpit).
   */
  local?: boolean;
  /** A stored answer of `http-request cache-use`: the proxies' filters (compression) apply to it as to a server's. */
  cached?: boolean;
  /**
   * The status the log and the counters say when it is not the answer's: a
   * deny whose page is an errorfile or errorloc of another status (a 403 sent
   * as a 302) is a 403, as HAProxy logs it.
   */
  logStatus?: number;
}

/** The writable side of a transaction that actions change. */
export interface ActionTxn extends Txn {
  /** `set-src` replaces it: every later `src` fetch sees the new address (the port is kept). */
  client: ClientFacts;
  /** Set by actions that end with sluice's own reply. */
  reply: Reply | undefined;
  /** `use-service NAME`: an applet of the proxy's own answers (the request stage turns the name into the call). */
  serviceName?: string | undefined;
  /** `set-log-level silent` etc. */
  logLevel: string | undefined;
  /** `http-request disable-l7-retry`: no retry for what the response says (retry-on's statuses, empty, junk, timeout). */
  l7RetryDisabled?: boolean;
  /** `http-request set-timeout server|tunnel`: this stream's `timeout server` / `timeout tunnel` (ms), over the backend's. */
  serverTimeout?: number;
  tunnelTimeout?: number;
  /** `capture` slots. */
  readonly captures: string[];
  /** `http-response capture ... id N` slots (`capture response header`); absent: such rules store nothing. */
  readonly responseCaptures?: string[];
  /**
   * `track-sc<slot> KEY [table T]`: the transaction starts tracking the
   * entry of `key` in table `table` on stick counter `slot` (the session
   * layer owns the entry's reference); absent: tracking does nothing.
   */
  track?(slot: number, table: string, key: Sample): void;
  /** An HTTP error for the tracked counters (`http_err_cnt`/`_rate`): http-request deny and tarpit call it. */
  countHttpError?(): void;
  /** `http-request cache-use`: the cache and key this request's response may be stored under. */
  cacheKey?: { cache: HttpCache; key: string };
  /** `http-response cache-store`: where the response body goes (the stream feeds it and ends it). */
  responseSink?: BodySink;
  /** `tcp-request connection expect-proxy layer4`: a PROXY header comes first on this connection. */
  expectProxy?: boolean;
  /** `wait-for-body`: what the action that said Verdict.wait asks for. */
  bodyWanted?: BodyWanted | undefined;
}

/** A compiled action with its condition folded in. */
export type Action = (t: ActionTxn) => VerdictCode;
