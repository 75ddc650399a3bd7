// HAProxy sections sluice does not read, and why: one error at the header
// covers the whole section (its lines are skipped).

/** Why a section is refused, by its keyword. */
const REFUSALS: Record<string, string> = {
  peers:
    "section 'peers' is not supported: stick tables live in one sluice process and there is no shared store to synchronise them with peers yet",
  resolvers:
    "section 'resolvers' is not supported: sluice resolves server names with the system resolver (init-addr libc) when it starts and does not re-resolve them at run time",
  cache: "section 'cache' is not supported: sluice has no HTTP cache",
  program: "section 'program' is not supported: sluice starts no external programs (run them beside it, e.g. under systemd)",
  "http-errors": "section 'http-errors' is not supported yet (use errorfile lines in the proxy)",
  ring: "section 'ring' is not supported yet",
  mailers: "section 'mailers' is not supported: sluice sends no mail",
  "crt-store": "section 'crt-store' is not supported yet",
  traces: "section 'traces' is not supported yet",
  "log-forward": "section 'log-forward' is not supported: sluice is not a syslog relay",
  "fcgi-app": "section 'fcgi-app' is not supported: sluice speaks HTTP/1.1 and HTTP/2 to servers, not FastCGI",
};

export const OTHER_SECTIONS = new Set(Object.keys(REFUSALS));

export function sectionRefusal(keyword: string): string {
  return REFUSALS[keyword] ?? `section '${keyword}' is not supported yet`;
}
