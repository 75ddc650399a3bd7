// The floor Bun sets for the h2 rows of bench/edge.ts (issue 13): a minimal
// HTTP/2-to-HTTP/1.1 gateway (bench/raw/h2-bun.ts: frame headers only, no
// HPACK, fixed answers, keep-alive server connections), run beside sluice as
// `--proxy bun-raw`. Its row is what Bun's sockets cost for the same load
// with no HTTP engine: the distance from sluice to it is the engine's, from
// it to HAProxy the runtime's. Not a product: it reads only the `bind` line
// (`proto h2`, or `ssl crt PEM` with ALPN h2) and the first `server`.
//   bun bench/raw-h2.ts -f CFG
import { readFileSync } from "node:fs";
import { gateway } from "./raw/h2-bun.ts";

const args = Bun.argv.slice(2);
const cfgPath = args[args.indexOf("-f") + 1];
if (args.indexOf("-f") < 0 || cfgPath === undefined) throw new Error("usage: raw-h2.ts -f CFG");
const cfg = readFileSync(cfgPath, "utf8");
const bind = cfg.match(/^\s*bind\s+([\d.]+):(\d+)(.*)$/m);
const server = cfg.match(/^\s*server\s+\S+\s+([\d.]+):(\d+)/m);
if (!bind || !server) throw new Error(`${cfgPath}: no bind or server line`);
const crt = bind[3]!.match(/\bssl\s+crt\s+(\S+)/)?.[1];
// The bench's PEM holds the certificate and its key (HAProxy's layout): Bun takes both from it.
const tls = crt === undefined ? undefined : { cert: readFileSync(crt, "utf8"), key: readFileSync(crt, "utf8"), ALPNProtocols: "\x02h2" };
gateway({ hostname: bind[1]!, port: Number(bind[2]) }, { hostname: server[1]!, port: Number(server[2]) }, tls, () => console.error("raw h2 gateway (bun) ready"));
