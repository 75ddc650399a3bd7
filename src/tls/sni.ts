// Which certificates answer a TLS client, by the name it sent (SNI), as
// HAProxy chooses: the exact name, then a wildcard one label up ("*.a.test"
// for "x.a.test"), then the default certificate (`default-crt`, else the
// first one), or none with `strict-sni`. Certificates of different key types
// for the same names form one group: the TLS library gets them together and
// the client's capabilities pick (ECDSA or RSA). Pure: no I/O, no runtime.
import type { TlsKeyPair } from "../runtime/types.ts";
import type { KeyType } from "./pem.ts";

export interface SniCertificate {
  readonly pair: TlsKeyPair;
  /** The names it answers (crt-list filters, else its own SAN/CN), lower case; "*.x" wildcards. */
  readonly names: readonly string[];
  readonly keyType: KeyType;
}

export interface SniPlan {
  /** Key pairs offered together, by group. */
  readonly groups: TlsKeyPair[][];
  /** The group for a client's SNI ("" without one), -1 to refuse. */
  select(servername: string): number;
}

/**
 * `certs` in configuration order; `defaultIndex` the default certificate
 * (index in `certs`); `strict`: unknown or missing SNI is refused.
 */
export function planSni(certs: readonly SniCertificate[], defaultIndex: number, strict: boolean): SniPlan {
  // name → the certificates for it, one per key type (the first written wins).
  const byName = new Map<string, number[]>();
  for (let i = 0; i < certs.length; i++) {
    for (const name of certs[i]!.names) {
      const list = byName.get(name) ?? [];
      if (!list.some((j) => certs[j]!.keyType === certs[i]!.keyType)) list.push(i);
      byName.set(name, list);
    }
  }
  const groups: TlsKeyPair[][] = [];
  const groupOf = new Map<string, number>();
  const group = (members: number[]): number => {
    const key = members.join(",");
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groups.length;
      groups.push(members.map((i) => certs[i]!.pair));
      groupOf.set(key, g);
    }
    return g;
  };
  const index = new Map<string, number>();
  for (const [name, members] of byName) index.set(name, group(members));
  // The default: its first name's group (its other key type too), else itself alone.
  const def = certs[defaultIndex];
  const firstName = def?.names[0];
  const defaultGroup = def === undefined
    ? -1
    : firstName !== undefined && byName.get(firstName)!.includes(defaultIndex)
    ? index.get(firstName)!
    : group([defaultIndex]);
  const fallback = strict ? -1 : defaultGroup;
  return {
    groups,
    select(servername: string): number {
      if (servername === "") return fallback;
      const name = servername.toLowerCase();
      const exact = index.get(name);
      if (exact !== undefined) return exact;
      const dot = name.indexOf(".");
      if (dot > 0) {
        const wild = index.get("*" + name.slice(dot));
        if (wild !== undefined) return wild;
      }
      return fallback;
    },
  };
}
