// The options of a haproxy.cfg `bind` line after its addresses, read into
// the mapping YAML writes: `ssl crt a.pem alpn h2` → { address, ssl: true,
// crt: ["a.pem"], alpn: "h2" }. Syntax only (which options exist, which take a
// value); model.ts checks the values for both syntaxes.
import { BIND_PROXY_FLAGS } from "./schema-proxy-protocol.ts";
import { BIND_SOCKET_FLAGS, BIND_SOCKET_VALUES } from "./schema-bind.ts";

/** Bind options without a value. */
const BIND_FLAGS = new Set(["ssl", "strict-sni", "no-sslv3", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-tls-tickets", "prefer-client-ciphers", ...BIND_PROXY_FLAGS, ...BIND_SOCKET_FLAGS]);
/** Bind options that take a value → what the value is. */
const BIND_VALUES: Record<string, string> = {
  proto: "h2",
  crt: "<file|dir>",
  "crt-list": "<file>",
  "default-crt": "<file>",
  alpn: "<protocol>[,<protocol>...]",
  "ssl-min-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  "ssl-max-ver": "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3",
  ciphers: "<ciphers>",
  ciphersuites: "<ciphersuites>",
  curves: "<curves>",
  verify: "none|optional|required",
  "ca-file": "<file>",
  "crl-file": "<file>",
  "crt-ignore-err": "all|<id>[,<id>...]",
  "ca-ignore-err": "all|<id>[,<id>...]",
  ...BIND_SOCKET_VALUES,
};
/** Bind options that may be given several times (a list). */
const BIND_REPEATED = new Set(["crt", "crt-list"]);

export function readBindOptions(address: string, args: string[]): { options: Record<string, unknown> } | { error: string } {
  const options: Record<string, unknown> = { address };
  for (let i = 0; i < args.length; i++) {
    const option = args[i]!;
    if (BIND_FLAGS.has(option)) {
      options[option] = true;
    } else if (Object.hasOwn(BIND_VALUES, option)) {
      const value = args[++i];
      if (value === undefined) return { error: `missing argument for bind option '${option}' (usage: ${option} ${BIND_VALUES[option]})` };
      if (BIND_REPEATED.has(option)) ((options[option] ??= []) as string[]).push(value);
      else options[option] = value;
    } else {
      return { error: `bind option '${option}' is not supported yet (supported: ${[...BIND_FLAGS, ...Object.keys(BIND_VALUES)].join(", ")})` };
    }
  }
  return { options };
}
