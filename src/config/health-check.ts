// A backend's health checks, assembled (issue 14): the kind of check from
// `option httpchk` / `option tcp-check` and the `http-check` / `tcp-check`
// rules (the section's own, else those of its defaults), each server's
// `check` options with HAProxy's defaults (fastinter and downinter: inter),
// and the combinations that make no sense, named where they were written.
import { ConfigError } from "./errors.ts";
import { locate } from "./issues.ts";
import type { ProxyPart, ServerPart } from "./model.ts";
import type { CheckedProxy } from "./sections.ts";
import { BUILTIN, type HealthCheck, type HttpCheckExpect, type HttpCheckRequest, type Mode, type ServerConfig } from "./types.ts";

export interface ResolvedChecks {
  healthCheck: HealthCheck;
  /** Wrong combinations in this section, reported by validate.ts. */
  problems: ConfigError[];
}

export function resolveHealthCheck(proxy: CheckedProxy, part: ProxyPart, defaults: ProxyPart, mode: Mode): ResolvedChecks {
  const problems: ConfigError[] = [];
  const ctx = [`${proxy.kind} '${proxy.name}'`];
  const at = (keyword: string) => locate(proxy.seg, [...proxy.path, keyword]);
  const option = part.healthCheck ?? defaults.healthCheck;
  // The section's own rules need the check kind they belong to; inherited ones are simply unused.
  if (part.httpChecks !== undefined && option?.kind !== "http") {
    problems.push(new ConfigError(at("http-check"), ctx, "'http-check' rules need 'option httpchk' (without it this backend's checks are TCP connects)"));
  }
  if (part.tcpChecks !== undefined && option?.kind !== "tcp-check") {
    problems.push(new ConfigError(at("tcp-check"), ctx, "'tcp-check' rules need 'option tcp-check'"));
  }
  for (const s of part.servers ?? []) {
    const where = [...ctx, `server '${s.name}'`];
    const c = s.checks;
    if (c.observe !== undefined && !c.check) {
      problems.push(new ConfigError(locate(proxy.seg, [...proxy.path, ...s.path, "observe"]), where, "'observe' needs 'check' on the same server (passive checks adjust the active check's state)"));
    }
    const checkSsl = c.checkSsl || (s.ssl?.traffic === true && c.port === undefined && c.addr === undefined);
    if (c.check && checkSsl && c.checkSendProxy) {
      problems.push(new ConfigError(locate(proxy.seg, [...proxy.path, ...s.path, "check-send-proxy"]), where, "check-send-proxy with TLS checks (check-ssl, or ssl without port/addr) is not supported yet"));
    }
    if (c.observe === "layer7" && mode !== "http") {
      problems.push(new ConfigError(locate(proxy.seg, [...proxy.path, ...s.path, "observe"]), where, `'observe layer7' needs mode http (this ${proxy.kind} is in ${mode} mode; use observe layer4)`));
    }
  }
  if (option === undefined) return { healthCheck: { kind: "connect" }, problems };
  if (option.kind === "tcp-check") {
    return { healthCheck: { kind: "tcp-check", steps: part.tcpChecks ?? defaults.tcpChecks ?? [] }, problems };
  }
  if (option.kind === "external") {
    const command = part.externalCheck?.command ?? defaults.externalCheck?.command;
    if (command === undefined) {
      problems.push(new ConfigError(at("option"), ctx, "'option external-check' unable to find required 'external-check command'"));
      return { healthCheck: { kind: "connect" }, problems };
    }
    const healthCheck: HealthCheck = { kind: "external", command, path: part.externalCheck?.path ?? defaults.externalCheck?.path ?? BUILTIN.check.externalPath };
    // HAProxy: the first bind of the proxy (a listen's); a backend has none.
    const bind = part.binds?.[0];
    if (bind !== undefined) healthCheck.proxyAddress = { host: bind.host, port: bind.port };
    return { healthCheck, problems };
  }
  if (option.kind !== "http") return { healthCheck: option, problems };
  const request: HttpCheckRequest = {
    method: option.method ?? BUILTIN.check.method,
    uri: option.uri ?? BUILTIN.check.uri,
    version: option.version ?? BUILTIN.check.version,
    headers: [...(option.headers ?? [])],
  };
  if (option.body !== undefined && option.body !== "") request.body = option.body;
  const rules = part.httpChecks ?? defaults.httpChecks ?? [];
  const sends = rules.filter((r) => r.kind === "send");
  if (sends.length > 1) problems.push(new ConfigError(at("http-check"), ctx, "more than one 'http-check send' is not supported yet (one request per check)"));
  for (const r of sends) {
    if (r.method !== undefined) request.method = r.method;
    if (r.uri !== undefined) request.uri = r.uri;
    if (r.version !== undefined) request.version = r.version;
    // HAProxy merges a send rule into the request option httpchk wrote: its fields, when it has any,
    // replace the option's (its older form's), and so does its body.
    if (r.headers.length > 0) request.headers = [...r.headers];
    if (r.body !== undefined) request.body = r.body;
  }
  // An `http-check comment` line names the rules after it up to the next
  // send: every expect in that run that has no comment of its own
  // (HAProxy 2.6, measured: comment, expect status, expect string; the string's
  // failure quotes the comment).
  const expects: HttpCheckExpect[] = [];
  let carried: string | undefined;
  for (const r of rules) {
    if (r.kind === "comment") carried = r.text;
    else if (r.kind === "expect") expects.push(carried === undefined || r.expect.comment !== undefined ? r.expect : { ...r.expect, comment: carried });
    else if (r.kind === "send") carried = undefined;
  }
  const healthCheck: HealthCheck = { kind: "http", request, expects };
  if (rules.some((r) => r.kind === "disable-on-404")) healthCheck.disableOn404 = true;
  if (rules.some((r) => r.kind === "send-state")) healthCheck.sendState = true;
  return { healthCheck, problems };
}

/** A server's `check` and `observe` settings with their defaults; undefined fields when the line has none. */
export function serverChecks(s: ServerPart): Pick<ServerConfig, "check" | "observe" | "onMarkedDown" | "onMarkedUp" | "track" | "agent"> {
  const c = s.checks;
  const out: Pick<ServerConfig, "check" | "observe" | "onMarkedDown" | "onMarkedUp" | "track" | "agent"> = {};
  if (c.track !== undefined) out.track = c.track;
  if (c.agentCheck && c.agentPort !== undefined) {
    // HAProxy: agent-inter, else 2s (not the server's inter).
    out.agent = { port: c.agentPort, inter: c.agentInter ?? BUILTIN.check.inter };
    if (c.agentAddr !== undefined) out.agent.addr = c.agentAddr;
    if (c.agentSend !== undefined) out.agent.send = c.agentSend;
  }
  if (c.onMarkedDown !== undefined) out.onMarkedDown = c.onMarkedDown;
  if (c.onMarkedUp !== undefined) out.onMarkedUp = c.onMarkedUp;
  if (c.check) {
    const inter = c.inter ?? BUILTIN.check.inter;
    out.check = {
      inter,
      fastinter: c.fastinter ?? inter,
      downinter: c.downinter ?? inter,
      rise: c.rise ?? BUILTIN.check.rise,
      fall: c.fall ?? BUILTIN.check.fall,
      sendProxy: c.checkSendProxy,
      // HAProxy: checks inherit the server's ssl unless they go elsewhere; check-ssl forces it.
      ssl: c.checkSsl || (s.ssl?.traffic === true && c.port === undefined && c.addr === undefined),
    };
    if (c.port !== undefined) out.check.port = c.port;
    if (c.addr !== undefined) out.check.addr = c.addr;
  }
  if (c.observe !== undefined) {
    out.observe = { layer: c.observe, errorLimit: c.errorLimit ?? BUILTIN.check.errorLimit, onError: c.onError ?? BUILTIN.check.onError };
  }
  return out;
}
