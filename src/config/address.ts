// Addresses as HAProxy writes them on `bind` and `server` lines.
import { isIPv6 } from "node:net";

/**
 * A bind listens: a missing host means every interface. A server connects: it
 * needs a host. A backend's `server` line may also name the destination the
 * client reached (HAProxy: host `0.0.0.0` or `*`, and a port left out, `0`,
 * or `+N`/`-N`: the client's destination port, offset by N).
 */
export type AddressRole = "bind" | "server" | "backend-server";

export type AddressResult =
  | { ok: true; host: string; port: number; mapPorts?: true }
  | { ok: false; error: string };

export const ANY_HOST = "0.0.0.0";

const FORMS = "expected HOST:PORT, :PORT, *:PORT, [IPv6]:PORT or IPv6:PORT";
const LABEL = "[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?";
const HOSTNAME = new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`);
const IPV6 = /^[0-9A-Fa-f:.]+$/;

export function parseAddress(text: string, role: AddressRole = "bind"): AddressResult {
  if (role === "backend-server") return parseServerAddress(text);
  const split = splitHostPort(text);
  if ("error" in split) return { ok: false, error: split.error };
  const { host: rawHost, port: rawPort, bracketed } = split;

  const port = parsePort(rawPort, text);
  if (typeof port === "string") return { ok: false, error: port };

  if (bracketed) {
    if (!IPV6.test(rawHost) || !rawHost.includes(":")) {
      return { ok: false, error: `invalid IPv6 address '${rawHost}' in '${text}'` };
    }
    return { ok: true, host: rawHost, port };
  }
  if (rawHost === "" || rawHost === "*") {
    if (role === "server") {
      return {
        ok: false,
        error: `missing host in '${text}' (a server needs a host to connect to)`,
      };
    }
    return { ok: true, host: ANY_HOST, port };
  }
  if (/^[\d.]+$/.test(rawHost)) {
    const parts = rawHost.split(".");
    if (parts.length !== 4 || parts.some((p) => p === "" || Number(p) > 255)) {
      return { ok: false, error: `invalid IPv4 address '${rawHost}' in '${text}'` };
    }
    return { ok: true, host: parts.map(Number).join("."), port };
  }
  if (!HOSTNAME.test(rawHost)) {
    return { ok: false, error: `invalid host '${rawHost}' in '${text}'` };
  }
  return { ok: true, host: rawHost, port };
}

/**
 * A backend server's address: HOST[:[PORT]], where HOST `0.0.0.0`, `*` or
 * nothing is the client's destination (ANY_HOST here), and a missing port,
 * `0` or `+N`/`-N` map the client's destination port (`port` is the offset).
 */
function parseServerAddress(text: string): AddressResult {
  const noPort = text.startsWith("[") ? text.endsWith("]") : !text.includes(":");
  const last = text.lastIndexOf(":");
  const rawHost = noPort ? text : text.slice(0, last);
  const rawPort = noPort ? "" : text.slice(last + 1);
  const anyHost = rawHost === "" || rawHost === "*";
  if (rawPort !== "" && rawPort !== "0" && !/^[+-]/.test(rawPort)) return parseAddress(anyHost ? `${ANY_HOST}:${rawPort}` : text, "server");
  const offset = rawPort === "" ? 0 : Number(rawPort);
  if (!/^[+-]?\d*$/.test(rawPort) || Math.abs(offset) > 65535) {
    return { ok: false, error: `invalid port offset '${rawPort}' in '${text}' (expected +N or -N, N up to 65535)` };
  }
  const host = anyHost ? ANY_HOST : rawHost;
  const r = parseAddress(`${host}:1`, "server");
  return r.ok ? { ok: true, host: r.host, port: offset, mapPorts: true } : r;
}

/** The address as a user would write it: IPv6 hosts get their brackets back. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** How messages name a bind's address: a UNIX socket as HAProxy writes it (`unix@/path`). */
export function bindAddress(bind: { host: string; port: number; unix?: { path: string } }): string {
  return bind.unix === undefined ? formatAddress(bind.host, bind.port) : `unix@${bind.unix.path}`;
}

/** `0.0.0.0` and `::` take the port on every interface, so they clash with any host. */
export function isWildcardHost(host: string): boolean {
  return host === ANY_HOST || host === "::";
}

/**
 * An IPv4 and an IPv6 address on one port: they share it only through an
 * IPv6 any-address that also takes IPv4 (not `v6only`). HAProxy opens such a
 * pair with SO_REUSEPORT (`bind :443` beside `bind :::443 v4v6`), and so does
 * sluice within one frontend (core/frontend.ts).
 */
export function acrossFamilies(a: { host: string; port: number; ipv6Only?: boolean }, b: { host: string; port: number; ipv6Only?: boolean }): "apart" | "shared" | undefined {
  const six = a.host.includes(":") ? a : b;
  const four = six === a ? b : a;
  if (four.host.includes(":") || !six.host.includes(":")) return undefined;
  return a.port === b.port && six.host === "::" && six.ipv6Only !== true ? "shared" : "apart";
}

function splitHostPort(
  text: string,
): { host: string; port: string; bracketed: boolean } | { error: string } {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { error: `missing ']' in '${text}' (${FORMS})` };
    const rest = text.slice(close + 1);
    if (!rest.startsWith(":")) return { error: `missing port in '${text}' (${FORMS})` };
    return { host: text.slice(1, close), port: rest.slice(1), bracketed: true };
  }
  const colon = text.indexOf(":");
  if (colon < 0) return { error: `missing port in '${text}' (${FORMS})` };
  if (text.indexOf(":", colon + 1) >= 0) {
    // HAProxy reads an unbracketed IPv6 address as far as the last colon: `:::443` is `[::]:443`.
    const last = text.lastIndexOf(":");
    const host = text.slice(0, last);
    if (!isIPv6(host)) return { error: `invalid IPv6 address '${host}' in '${text}' (${FORMS})` };
    return { host, port: text.slice(last + 1), bracketed: true };
  }
  return { host: text.slice(0, colon), port: text.slice(colon + 1), bracketed: false };
}

function parsePort(raw: string, text: string): number | string {
  if (raw === "") return `missing port in '${text}' (${FORMS})`;
  if (/^\d+-\d+$/.test(raw)) return `port ranges are not supported yet (got '${raw}' in '${text}')`;
  if (!/^\d+$/.test(raw)) {
    return `invalid port '${raw}' in '${text}' (expected a number from 1 to 65535)`;
  }
  const port = Number(raw);
  if (port < 1 || port > 65535) {
    return `port ${raw.replace(/^0+(?=\d)/, "")} is out of range (1-65535)`;
  }
  return port;
}
