// HAProxy sections and keywords sluice does not read, and why
// (docs/compatibility.md lists each choice). A section's error is at its
// header and covers the whole section (its lines are skipped).

/** Why a section is refused, by its keyword. */
const REFUSALS: Record<string, string> = {
  program: "section 'program' is not supported: sluice starts no external programs (run them beside it, e.g. under systemd)",
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

/** Keywords with no meaning for sluice, in any section, and why (the message of their error). */
const KEYWORD_REFUSALS: Record<string, string> = {
  "lua-load": "'lua-load' is not supported: sluice has no Lua interpreter (the actions, fetches and services a script registers do not exist)",
  "lua-load-per-thread": "'lua-load-per-thread' is not supported: sluice has no Lua interpreter",
  "lua-prepend-path": "'lua-prepend-path' is not supported: sluice has no Lua interpreter",
  nbproc: "'nbproc' is not supported: HAProxy removed it (2.5); sluice's processes are set by 'workers' or 'nbthread'",
};

/** The reason a keyword is refused, when it has no meaning for sluice. */
export function keywordRefusal(keyword: string): string | undefined {
  return Object.hasOwn(KEYWORD_REFUSALS, keyword) ? KEYWORD_REFUSALS[keyword] : undefined;
}
