// A stream's persistence cookie (issue 15, cookie): what it read of the
// request and carries to the response (the dates the cookie had) and the two
// characters HAProxy's %tsc ends with. The logic is backend/persist-cookie.ts.
import { readRequestCookie, writeResponseCookie } from "../backend/persist-cookie.ts";
import type { Server } from "../backend/server.ts";
import type { CookiePersistence } from "../config/types.ts";
import type { Head } from "../http/message.ts";

export class CookieStep {
  /** %tsc's last two characters: "--" for a passive cookie without indirect, as HAProxy logs it. */
  flags: string;
  private lastDate = 0;
  private firstDate = 0;

  constructor(private readonly config: CookiePersistence) {
    this.flags = config.mode !== "passive" || config.indirect ? "NN" : "--";
  }

  /**
   * Reads the request's cookie. Returns the server it names when that server
   * takes the request, and the request as it goes to a server.
   * @param assigned another rule chose the server already
   */
  request(head: Head, servers: readonly Server[], nowSec: number, assigned: boolean, force = false): { server: Server | undefined; head: Head } {
    const r = readRequestCookie(this.config, head, servers, nowSec, assigned, force);
    this.lastDate = r.lastDate;
    this.firstDate = r.firstDate;
    if (this.flags !== "--") this.flags = r.flag + "N";
    return r;
  }

  /** The response from `server` as it goes to the client. `direct`: the cookie (or a rule) chose that server. */
  response(head: Head, server: Server, direct: boolean, method: string, nowSec: number): Head {
    const x = { server, direct, method, lastDate: this.lastDate, firstDate: this.firstDate };
    const r = writeResponseCookie(this.config, head, x, nowSec);
    if (this.flags !== "--") this.flags = this.flags[0] + r.flag;
    return r.head;
  }
}
