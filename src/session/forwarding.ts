// The fields sluice adds to a forwarded request: X-Forwarded-For (option
// forwardfor) and RFC 7239 Forwarded (option forwarded). Settings are compiled
// once per proxy; per request this only formats the client's address.
import type { Forwarded, ForwardFor, OriginalTo } from "../config/types.ts";
import type { AddedFields, Head } from "../http/message.ts";
import { type Network, parseNetwork } from "../rules/network.ts";
import { isIpAddress } from "../runtime/ip-text.ts";

export type { AddedFields };

interface ForwardForPlan {
  header: string;
  lowerHeader: string;
  except: Network | undefined;
  ifNone: boolean;
}

export interface ConnectionFacts {
  clientAddress: string;
  frontendAddress: string;
  frontendPort: number;
  /** The client spoke TLS to sluice (a `bind ... ssl`): proto=https. */
  https: boolean;
}

/** Strips the IPv4-mapped IPv6 prefix so that logs and headers show 10.1.2.3, not ::ffff:10.1.2.3. */
export function plainAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function forwardedNode(address: string): string {
  // RFC 7239 §6.3: a node without an IP address (a UNIX socket's client) is "unknown".
  if (!isIpAddress(address)) return "unknown";
  return address.includes(":") ? `"[${address}]"` : address;
}

function forwardedValue(value: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(value) ? value : `"${value.replace(/["\\]/g, "\\$&")}"`;
}

export class ForwardingPlan {
  private readonly ff: ForwardForPlan[] = [];
  /** The first source's `option forwarded` (only backends carry one). */
  private readonly forwarded: Forwarded | undefined;
  /** `option originalto`: the field's name (the backend's, else the frontend's) and the networks either excepts. */
  private readonly originalTo: { header: string; except: Network[] } | undefined;

  /** Settings of the frontend and of the backend; both apply, as in HAProxy. */
  constructor(...sources: ({ forwardFor?: ForwardFor; forwarded?: Forwarded; originalTo?: OriginalTo } | undefined)[]) {
    this.forwarded = sources.find((s) => s?.forwarded !== undefined)?.forwarded;
    const withOriginalTo = sources.filter((s) => s?.originalTo !== undefined).map((s) => s!.originalTo!);
    if (withOriginalTo.length > 0) {
      const except: Network[] = [];
      for (const o of withOriginalTo) {
        const n = o.except === undefined ? undefined : parseNetwork(o.except);
        if (n !== undefined && typeof n !== "string") except.push(n);
      }
      this.originalTo = { header: withOriginalTo[withOriginalTo.length - 1]!.header, except };
    }
    const seenHeaders = new Set<string>();
    for (const s of sources) {
      if (s?.forwardFor !== undefined) {
        const lower = s.forwardFor.header.toLowerCase();
        if (seenHeaders.has(lower)) continue;
        seenHeaders.add(lower);
        const except = s.forwardFor.except === undefined ? undefined : parseNetwork(s.forwardFor.except);
        this.ff.push({
          header: s.forwardFor.header,
          lowerHeader: lower,
          except: typeof except === "string" ? undefined : except,
          ifNone: s.forwardFor.ifNone,
        });
      }
    }
  }

  get empty(): boolean {
    return this.ff.length === 0 && this.forwarded === undefined && this.originalTo === undefined;
  }

  /** Appends the fields for `request` to `out`. */
  add(request: Head, facts: ConnectionFacts, out: AddedFields): void {
    const client = plainAddress(facts.clientAddress);
    // A UNIX socket's client has no address: HAProxy adds no X-Forwarded-For then.
    const ip = isIpAddress(client);
    for (const ff of this.ff) {
      if (!ip) break;
      if (ff.except?.contains(facts.clientAddress)) continue;
      if (ff.ifNone && request.get(ff.lowerHeader) !== undefined) continue;
      out.push([ff.header, client]);
    }
    const ot = this.originalTo;
    if (ot !== undefined) {
      // HAProxy 2.6 writes it for an IPv4 destination only, unless that address is in an `except` network.
      const dst = plainAddress(facts.frontendAddress);
      if (isIpAddress(dst) && !dst.includes(":") && !ot.except.some((n) => n.contains(dst))) out.push([ot.header, dst]);
    }
    const fwd = this.forwarded;
    if (fwd !== undefined) {
      const parts: string[] = [];
      if (fwd.by) parts.push(`by=${forwardedNode(plainAddress(facts.frontendAddress))}`);
      if (fwd.for) parts.push(`for=${forwardedNode(client)}`);
      if (fwd.host && request.host !== undefined) parts.push(`host=${forwardedValue(request.host)}`);
      if (fwd.proto) parts.push(facts.https ? "proto=https" : "proto=http");
      if (parts.length > 0) out.push(["Forwarded", parts.join(";")]);
    }
  }
}
