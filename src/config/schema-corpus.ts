// Keywords real configurations carry in defaults and proxies (issue 19, the
// corpus): the TCP keep-alive options, the splice options (accepted, a note:
// sluice copies in user space), `no option <name>` for them, and `errorloc`,
// `errorloc302`, `errorloc303` (a redirect sent instead of an error status).
// schema-http.ts hands `option` lines it does not know to `corpusOption`.

import * as v from "valibot";
import { ERRORFILE_CODES, isErrorFileCode } from "./errorfile.ts";
import type { SectionName } from "./schema-parts.ts";
import { describe, isMapping } from "./schema-values.ts";

/** SO_KEEPALIVE on the sockets of a proxy: towards clients, towards servers. */
export interface TcpKeepAlive {
  client?: boolean;
  server?: boolean;
}

/** What these options set in a section's OptionsPart (schema-http.ts). */
export interface CorpusOptions {
  tcpKeepAlive?: TcpKeepAlive;
  /** `option abortonclose`: a request whose client shut its side is dropped while still queued or connecting. */
  abortOnClose?: boolean;
  /** `option prefer-last-server`: a keep-alive client's next request goes to the server of its previous one when it can. */
  preferLastServer?: boolean;
  /** `option contstats` (frontends): traffic counters move along a transfer, not only at its end (stream/counting.ts). */
  contstats?: boolean;
  /** `option http-buffer-request`: the request body is waited for (up to the buffer's room) before the proxy's rules. */
  bufferRequest?: boolean;
  /** `option http-pretend-keepalive`: under http-server-close, no `Connection: close` to the server; sluice still closes after the answer. */
  pretendKeepAlive?: boolean;
  /** `option checkcache`: a cacheable response carrying a server's Set-Cookie is refused (502), as HAProxy's. */
  checkCache?: boolean;
  /** `option h1-case-adjust-bogus-client` / `-server`: the global h1-case-adjust names in HTTP/1 heads to clients / to servers. */
  caseAdjustClient?: boolean;
  caseAdjustServer?: boolean;
}

type Apply = (part: CorpusOptions) => void;

const ALL: readonly SectionName[] = ["defaults", "frontend", "backend", "listen"];
const FRONT: readonly SectionName[] = ["defaults", "frontend", "listen"];
const BACK: readonly SectionName[] = ["defaults", "backend", "listen"];

/**
 * Options with no argument, where HAProxy allows them, and what they set
 * (`on` false: the `no option` form).
 */
const FLAG_OPTIONS: Record<string, { sections: readonly SectionName[]; set: (on: boolean) => Apply }> = {
  // HAProxy: `tcpka` is clitcpka and srvtcpka together.
  tcpka: { sections: ALL, set: (on) => (p) => (p.tcpKeepAlive = { ...p.tcpKeepAlive, client: on, server: on }) },
  clitcpka: { sections: FRONT, set: (on) => (p) => (p.tcpKeepAlive = { ...p.tcpKeepAlive, client: on }) },
  srvtcpka: { sections: BACK, set: (on) => (p) => (p.tcpKeepAlive = { ...p.tcpKeepAlive, server: on }) },
  abortonclose: { sections: BACK, set: (on) => (p) => (p.abortOnClose = on) },
  "prefer-last-server": { sections: BACK, set: (on) => (p) => (p.preferLastServer = on) },
  contstats: { sections: FRONT, set: (on) => (p) => (p.contstats = on) },
  "http-pretend-keepalive": { sections: ALL, set: (on) => (p) => (p.pretendKeepAlive = on) },
  "http-buffer-request": { sections: ALL, set: (on) => (p) => (p.bufferRequest = on) },
  checkcache: { sections: BACK, set: (on) => (p) => (p.checkCache = on) },
  "h1-case-adjust-bogus-client": { sections: FRONT, set: (on) => (p) => (p.caseAdjustClient = on) },
  "h1-case-adjust-bogus-server": { sections: BACK, set: (on) => (p) => (p.caseAdjustServer = on) },
  // Kernel splicing moves bytes without copying them to user space; sluice always
  // copies (the runtimes offer no splice). What the peers see is the same.
  "splice-auto": { sections: ALL, set: () => () => {} },
  "splice-request": { sections: ALL, set: () => () => {} },
  "splice-response": { sections: ALL, set: () => () => {} },
};

/** Options of the same family sluice refuses, with the reason. */
const REFUSED: Record<string, string> = {
  nolinger:
    "option 'nolinger' is not supported: the runtimes' sockets cannot close with a reset (SO_LINGER 0); sluice closes with FIN",
};

/** The corpus options' names, for the list of supported options in messages. */
export function corpusOptionNames(section: SectionName): string[] {
  return Object.entries(FLAG_OPTIONS).filter(([, o]) => o.sections.includes(section)).map(([name]) => name);
}

/**
 * Reads `option <name>` (or "no <name>", haproxy.cfg's `no option <name>`)
 * when it is one of this file's: an apply function or a message; undefined
 * when the name is not one of them.
 */
export function corpusOption(words: string[], section: SectionName): Apply | string | undefined {
  const negated = words[0] === "no";
  const [name = "", ...args] = negated ? words.slice(1) : words;
  const known = FLAG_OPTIONS[name];
  if (known === undefined) {
    // `no option nolinger` and the like ask for what sluice does anyway (HAProxy's default).
    if (Object.hasOwn(REFUSED, name)) return negated && args.length === 0 ? () => {} : REFUSED[name]!;
    return negated ? `'no option ${[name, ...args].join(" ")}' is not supported yet` : undefined;
  }
  if (!known.sections.includes(section)) return `'option ${name}' is not allowed in a ${section} section`;
  if (args.length > 0) return `option ${name}: unexpected argument '${args[0]}' (usage: option ${name})`;
  return known.set(!negated);
}

// ---------------------------------------------------------------- errorloc

/** `errorloc*` lines: the status replaced, the URL, and the redirect's status (302 or 303). */
export interface ErrorLocPart {
  code: number;
  url: string;
  redirect: 302 | 303;
  /** The line's keyword: where it was written (its position orders it among the proxy's error answers). */
  keyword: ErrorLocKeyword;
}

const REDIRECTS = { errorloc: 302, errorloc302: 302, errorloc303: 303 } as const;
export type ErrorLocKeyword = keyof typeof REDIRECTS;

export function errorLocSchema(keyword: ErrorLocKeyword) {
  return v.pipe(
    v.unknown(),
    v.transform((x) => x ?? {}),
    v.custom<Record<string, unknown>>(isMapping, (issue) => `invalid ${keyword} ${describe(issue.input)} (expected a mapping of status codes to URLs)`),
    v.rawTransform(({ dataset, addIssue, NEVER }): ErrorLocPart[] => {
      const out: ErrorLocPart[] = [];
      for (const [key, url] of Object.entries(dataset.value)) {
        const path = [{ type: "object" as const, origin: "value" as const, input: dataset.value, key, value: url }] as [v.ObjectPathItem];
        const code = /^\d+$/.test(key) ? Number(key) : NaN;
        if (!isErrorFileCode(code)) {
          addIssue({ message: `${keyword}: status '${key}' is not supported (expected one of: ${ERRORFILE_CODES.join(", ")})`, path });
          return NEVER;
        }
        if (typeof url !== "string" || url === "" || /[\s\x00-\x1f\x7f]/.test(url)) {
          addIssue({ message: `${keyword} ${key}: invalid URL ${describe(url)} (expected a URL without spaces)`, path });
          return NEVER;
        }
        out.push({ code, url, redirect: REDIRECTS[keyword], keyword });
      }
      return out;
    }),
  );
}

/** HAProxy's answer for an `errorloc` status: the redirect, with no body. */
export function errorLocResponse(loc: ErrorLocPart): Uint8Array {
  const reason = loc.redirect === 302 ? "Found" : "See Other";
  const text = `HTTP/1.1 ${loc.redirect} ${reason}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: ${loc.url}\r\n\r\n`;
  return new TextEncoder().encode(text);
}
