// Connection-based authentication (NTLM, Negotiate): the server authenticates
// the TCP connection, not the request. Only the HTTP/1 mux asks this question;
// a multiplexed connection is shared by several sessions and must never become
// private (../shared/docs/connection-ownership.md, rule 2, invariant 5).
import type { Head } from "./types.ts";

const WWW_AUTHENTICATE = new TextEncoder().encode("www-authenticate");
const PROXY_AUTHENTICATE = new TextEncoder().encode("proxy-authenticate");

/** Does the value start (case-insensitively) with "NTLM" or "Nego" (Negotiate, Nego2)? */
function connectionScheme(value: string): boolean {
  const v = value.trimStart();
  const p = v.slice(0, 4).toLowerCase();
  return p === "ntlm" || p === "nego";
}

/**
 * A 401 with `WWW-Authenticate` or a 407 with `Proxy-Authenticate` offering
 * NTLM or Negotiate, on any of its field lines (each line may list several
 * challenges; a line that begins with one counts, as HAProxy checks).
 */
export function isConnectionAuthChallenge(head: Head): boolean {
  const name = head.status === 401 ? WWW_AUTHENTICATE : head.status === 407 ? PROXY_AUTHENTICATE : undefined;
  if (name === undefined) return false;
  for (let i = 0; i < head.fieldCount; i++) {
    if (head.nameIs(i, name) && connectionScheme(head.value(i))) return true;
  }
  return false;
}
