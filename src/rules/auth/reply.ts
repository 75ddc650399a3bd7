// The answer of `http-request auth [realm R]`: 401 with a Basic challenge,
// HAProxy's page and fields. Pure.
import type { Reply } from "../types.ts";

const BODY = new TextEncoder().encode(
  "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n",
);

/**
 * A fresh 401 reply asking for Basic credentials for `realm` (the action's
 * `realm`, else the proxy's name, as HAProxy). The realm is written as a
 * quoted-string: `"` and `\` are escaped.
 */
export function unauthorizedReply(realm: string): Reply {
  const quoted = realm.replace(/["\\]/g, "\\$&");
  return {
    status: 401,
    fields: [
      ["content-type", "text/html"],
      ["cache-control", "no-cache"],
      ["www-authenticate", `Basic realm="${quoted}"`],
    ],
    body: BODY,
    local: true,
  };
}
