// IPv6 addresses as text, from their 16 bytes: what the PROXY v2 header
// (conn/proxy-header-parse.ts) and DNS AAAA answers (dns/codec.ts) carry.
// Pure; here, in the lowest layer, so that both can use one copy.

/**
 * Whether a socket's address is an IP address: not the `unix` a UNIX socket
 * bind's clients have (core/frontend.ts). Where HAProxy reads an AF_UNIX
 * client as it reads no address (src: no sample, no X-Forwarded-For, PROXY
 * UNKNOWN), the callers ask this.
 */
export function isIpAddress(address: string): boolean {
  return address.includes(".") || address.includes(":");
}

/** RFC 5952 text of the 16 bytes at `at`: lower case, the longest run of two or more zero groups as "::". */
export function formatIpv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + i * 2]! << 8) | bytes[at + i * 2 + 1]!);
  // IPv4-mapped (::ffff:a.b.c.d) keeps its dotted tail (RFC 5952 §5).
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}
