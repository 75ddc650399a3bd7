// The TLS sessions a server's connections resume (HAProxy's `ssl-reuse`, on
// by default): the last session handed out for each SNI. HAProxy keeps one
// per server; with `sni <expression>` the names vary, so one per name, the
// oldest names let go beyond a bound.
import type { TlsSessions } from "../runtime/types.ts";

/** Names kept at most: a server fronting many names (`sni req.hdr(host)`) holds a bounded set. */
const MAX_NAMES = 256;

export class ServerTlsSessions implements TlsSessions {
  private readonly byName = new Map<string, Uint8Array>();

  get(servername: string): Uint8Array | undefined {
    return this.byName.get(servername);
  }

  set(servername: string, session: Uint8Array): void {
    // Re-inserted: the Map's order is the names' recency, the first the one to let go.
    this.byName.delete(servername);
    this.byName.set(servername, session);
    if (this.byName.size > MAX_NAMES) this.byName.delete(this.byName.keys().next().value!);
  }
}
