// YAML and JSON syntax → one raw segment. JSON goes through the YAML parser
// too (JSON is YAML), so both get line:col positions.
//
// The document shape (keys are spelled as the haproxy.cfg keywords):
//
//   global:
//     maxconn: 10000
//     hard-stop-after: 30s
//     tune.bufsize: 16384            # bytes, 1024-1048576
//     tune.http.maxhdr: 101          # header fields per message, 1-32767
//     tune.h2.be.max-concurrent-streams: 100   # per HTTP/2 server connection, 1-2147483647
//     tune.h2.fe.max-concurrent-streams: 100   # per HTTP/2 client connection, 1-2147483647
//     tune.h2.header-table-size: 4096          # HPACK table for what clients send, 0-65536
//     tune.h2.initial-window-size: 65535       # each client stream's receive window
//     tune.h2.fe.glitches-threshold: 1000      # HTTP/2 client glitches before ENHANCE_YOUR_CALM
//     tune.h2.fe.max-control-frames-per-sec: 100   # free PING/SETTINGS a second per client
//     log: stderr                    # or a list, one string per cfg `log` line:
//                                    # [stdout, "/var/log/sluice.log format json"]
//   defaults:                        # one mapping, applies to every proxy below
//     mode: tcp                      # tcp | http
//     retries: 3
//     retry-on: [conn-failure, empty-response, 503]   # or one string, "conn-failure 503"; none
//     maxconn: 1000                  # frontends' maxconn
//     balance: roundrobin
//     option: tcplog                 # or a list, one string per cfg `option` line:
//                                    # [httplog, "forwardfor except 10.0.0.0/8 if-none",
//                                    #  "forwarded proto host", http-server-close, redispatch]
//                                    # ("redispatch 1": every retry; -1, the default: the last)
//     log: global                    # `log global` or targets, as in global
//     log-format: "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts"   # mode http may use %tr %r %ST...
//     errorfile: { 503: errors/503.http }   # status → file, relative to this file
//     timeout: { connect: 5s, client: 50s, server: 50s }
//     http-reuse: safe               # never | safe | aggressive | always (backends)
//     max-session-srv-conns: 5       # frontends
//   frontends:
//     web:
//       bind: [":8080", "127.0.0.1:8443"]   # a single string also allowed;
//                                           # { address: ":8081", proto: h2 } for HTTP/2 prior knowledge
//       default_backend: app
//       maxconn: 1000
//       max-session-srv-conns: 5
//   backends:
//     app:
//       balance: roundrobin                # or "uri whole len 20", "random(3)", "hdr(Host)", as in haproxy.cfg
//                                          # (hash algorithms take hash-type: map-based | consistent)
//       http-reuse: safe
//       servers:
//         a1: { address: "127.0.0.1:9001", weight: 3 }
//         a2: "127.0.0.1:9002"                 # short form
//         a3: { address: "127.0.0.1:9003", backup: true, disabled: false, maxconn: 100 }
//         a4: { address: "127.0.0.1:9004", pool-max-conn: -1, pool-purge-delay: 5s,
//               pool-low-conn: 0, send-proxy: true }   # server options keep their cfg names
//         a5: { address: "127.0.0.1:9005", proto: h1, max-reuse: -1 }   # h1 | h2 (h2: mode http)
//         a6: { address: "app.internal:9006", maxqueue: 10, slowstart: 30s, init-addr: "last,libc,none" }
//         a7: { address: "127.0.0.1:9007", check: true, inter: 2s, rise: 2, fall: 3, observe: layer7 }
//       option: "httpchk GET /health"      # health checks; or "tcp-check" with tcp-check: [...]
//       http-check: ["expect status 200-299"]   # a rule as a string or a list of words
//       # or, as a list:  servers: [{ name: a1, address: "127.0.0.1:9001" }]
//   listen:
//     db:
//       bind: ":5432"
//       mode: tcp
//       servers: { pg1: "10.0.0.1:5432" }
//   userlists:                         # users and groups for http-request auth (schema-userlist.ts)
//     admins:
//       users: { tiger: { password: "$6$...", groups: [ops] }, scott: { insecure-password: elgato } }
//       groups: { ops: { users: [scott] } }
//   peers:                             # stick-table synchronisation (schema-peers.ts)
//     mycluster: { peers: { web1: "10.0.0.1:10000", web2: "10.0.0.2:10000" }, tables: { t1: "type ip size 1k" } }
//   caches:                            # HTTP caches for cache-use / cache-store (schema-cache.ts)
//     small: { total-max-size: 4, max-age: 240, process-vary: on }
//   http-errors:                       # error pages proxies import (`errorfiles: ["site", "site 503"]`)
//     site: { errorfile: { 503: errors/503.http, 403: errors/403.http } }
//
// Timeout names: connect, client, server, queue, tunnel, client-fin,
// server-fin, http-request, http-keep-alive. Numbers may be YAML numbers or
// strings; times are "5s"-style strings or a number of milliseconds.
// `option`, `log`, `log-format` and `errorfile` go in the sections where
// haproxy.cfg allows them (see model.ts).
//
// A YAML file's `defaults` replaces the defaults in force, as a haproxy.cfg
// `defaults` section would at that point; a file without one keeps them.

import type { Document, Node } from "yaml";
import { yamlPackage } from "../runtime/packages.ts";
import { ConfigError, formatPos, type SourcePos } from "./errors.ts";
import { contextOf } from "./context.ts";
import { applyDefaultServer } from "./default-server.ts";
import {
  isReservedName,
  newSegment,
  pathKey,
  type PathSeg,
  type RawSegment,
  type SyntaxResult,
} from "./raw.ts";

/** Anchors can point at their own ancestors; real configs never nest this deep. */
const MAX_DEPTH = 32;

export function parseYaml(file: string, text: string): SyntaxResult {
  const { LineCounter, parseDocument } = yamlPackage();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const posAt = (offset: number): SourcePos => ({ file, ...lines.linePos(offset) });

  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    // The tree after a syntax error is a guess; checking it would only add noise.
    return {
      segments: [],
      errors: problems.map((e) => new ConfigError(posAt(e.pos[0]), [], e.message)),
    };
  }

  const seg = newSegment(file);
  const walker = new Walker(seg, doc, posAt);
  const root = walker.walk(doc.contents, [], 0);
  if (root === null || root === undefined) return { segments: [seg], errors: walker.errors() };
  if (typeof root !== "object" || Array.isArray(root)) {
    const at = doc.contents ? posAt(doc.contents.range[0]) : { file };
    return {
      segments: [],
      errors: [
        new ConfigError(
          at,
          [],
          "the document must be a mapping of sections (global, defaults, frontends, backends, listen, userlists, peers, caches, resolvers, http-errors)",
        ),
      ],
    };
  }
  seg.doc = root as Record<string, unknown>;
  const errors = walker.errors();
  applyDefaultServer(seg, errors);
  return { segments: [seg], errors };
}

interface Problem {
  path: PathSeg[];
  at: SourcePos;
  detail: string;
}

class Walker {
  private problems: Problem[] = [];

  constructor(
    private seg: RawSegment,
    private doc: Document,
    private posAt: (offset: number) => SourcePos,
  ) {}

  errors(): ConfigError[] {
    // Context needs the finished document (list entries carry their names).
    return this.problems.map((p) =>
      new ConfigError(p.at, contextOf(p.path, this.seg.doc), p.detail)
    );
  }

  walk(node: unknown, path: PathSeg[], depth: number): unknown {
    if (node === null || node === undefined) return null;
    if (depth > MAX_DEPTH) {
      this.problem(path, node as Node, "the document is nested too deeply (a recursive alias?)");
      return null;
    }
    const { isAlias, isMap, isScalar, isSeq } = yamlPackage();
    if (isAlias(node)) return this.walk(node.resolve(this.doc), path, depth + 1);
    if (isScalar(node)) return node.value;
    if (isSeq(node)) {
      return node.items.map((item, i) => {
        const itemPath = [...path, i];
        const at = this.nodePos(item) ?? this.nodePos(node);
        if (at) this.mark(itemPath, at, at);
        return this.walk(item, itemPath, depth + 1);
      });
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const seen = new Map<string, SourcePos>();
      for (const pair of node.items) {
        const keyAt = this.nodePos(pair.key) ?? this.nodePos(node)!;
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (typeof key !== "string" && typeof key !== "number") {
          this.problems.push({ path, at: keyAt, detail: "mapping keys must be plain names" });
          continue;
        }
        const name = String(key);
        const keyPath = [...path, name];
        if (isReservedName(name)) {
          this.problems.push({ path, at: keyAt, detail: `'${name}' cannot be used as a name` });
          continue;
        }
        const first = seen.get(name);
        if (first) {
          this.problems.push({
            path,
            at: keyAt,
            detail: `duplicate key '${name}' (first defined at ${formatPos(first)})`,
          });
          continue;
        }
        seen.set(name, keyAt);
        this.mark(keyPath, keyAt, this.nodePos(pair.value) ?? keyAt);
        out[name] = this.walk(pair.value, keyPath, depth + 1);
      }
      return out;
    }
    this.problem(path, node as Node, "unsupported YAML value");
    return null;
  }

  private problem(path: PathSeg[], node: Node, detail: string): void {
    this.problems.push({ path, at: this.nodePos(node) ?? { file: this.seg.file }, detail });
  }

  private nodePos(node: unknown): SourcePos | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.posAt(range[0]) : undefined;
  }

  private mark(path: PathSeg[], keyAt: SourcePos, valueAt: SourcePos): void {
    this.seg.keys.set(pathKey(path), keyAt);
    this.seg.values.set(pathKey(path), valueAt);
  }
}
