// What `sluice version` (-v) and `sluice -vv` print, after HAProxy's -v and -vv:
// the short line, and the long form with the build facts and what this sluice
// can do, read from the tables the code itself uses where there is one.
import { buildInfo } from "./version.ts";
import { ALGORITHMS } from "./config/balance.ts";
import { TLS_VERSIONS } from "./config/schema-tls.ts";
import { commandTable } from "./control/sockets.ts";
import { CONVERTERS } from "./rules/convert/index.ts";
import { FETCHES } from "./rules/fetch/index.ts";
import type { HostRuntime } from "./runtime/types.ts";
import { arch, platform, release } from "node:os";

/**
 * Built in: + what sluice has, - what HAProxy has and sluice does not (yet),
 * so that a reader of -vv from both sees the difference. Each + names the
 * place that provides it.
 */
const FEATURES: readonly string[] = [
  "+TLS", // runtime/node-tls.ts, runtime/bun-tls.ts: bind ssl, server ssl, SNI, ALPN
  "+HTTP2", // http2/: h2 towards clients (ALPN, proto h2) and servers (proto h2)
  "+MASTER_WORKER", // master/: -W, workers N, reload on SIGUSR2/SIGHUP
  "+RUNTIME_API", // control/: stats socket
  "+STATS", // admin/: the stats page, ;csv, ;json
  "+PROMEX", // admin/: the Prometheus exporter
  "+HEALTH_CHECKS", // check/: tcp, httpchk, tcp-check, observe
  "+STICK_TABLES", // stick/
  "+ACL", // rules/: ACLs, conditions, http-request/-response rules, maps
  "+SEND_PROXY", // conn/: the PROXY header towards servers
  "+YAML", // config/: YAML and JSON beside haproxy.cfg
  "-QUIC",
  "-LUA",
  "-COMPRESSION",
  "-CACHE",
  "-SPOE",
  "-FCGI",
];

/** `sluice 0.1.0 (commit 41b14c2e64b4, bun 1.4.5)` */
export async function shortVersion(runtime: HostRuntime): Promise<string> {
  const info = await buildInfo();
  const commit = /^[0-9a-f]+(-dirty)?$/.test(info.commit) ? `commit ${info.commit}` : info.commit;
  return `sluice ${info.version} (${commit}, ${runtime.name} ${runtime.version})`;
}

export async function longVersion(runtime: HostRuntime): Promise<string> {
  const info = await buildInfo();
  const where = `${platform()} ${arch()} (kernel ${release()})`;
  return [
    `sluice version ${info.version}`,
    `Git commit : ${info.commit}`,
    `Build date : ${info.date ?? "none (running from source)"}`,
    `Built with : ${info.target === undefined ? "none (running from source)" : `bun build --compile, target ${info.target}`}`,
    `Running on : ${runtime.name} ${runtime.version}, ${where}`,
    `Feature list : ${FEATURES.join(" ")}`,
    `TLS versions : ${TLS_VERSIONS.join(" ")}`,
    "",
    "Available multiplexer protocols :",
    "         h2 : mode=HTTP  side=FE|BE",
    "         h1 : mode=HTTP  side=FE|BE",
    "        tcp : mode=TCP   side=FE|BE",
    "",
    `Load-balancing algorithms : ${ALGORITHMS.join(" ")}`,
    `Sample fetches : ${FETCHES.size}, converters : ${CONVERTERS.size}`,
    `Runtime API commands : ${commandTable().commands.length}`,
    "Configuration formats : haproxy.cfg, YAML, JSON",
  ].join("\n");
}
