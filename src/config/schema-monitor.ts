// `monitor-uri <uri>` (HAProxy's, in defaults, frontend and listen): a request
// whose URI is exactly this one is answered by sluice, before any rule, with
// 200 and HAProxy's "Service ready." page (`errorfile 200` replaces it), or
// 503 when a `monitor fail` condition holds (compiled with the proxy's rules
// in config/rules.ts). The value is compared with the request target as sent.
import * as v from "valibot";

export const MonitorUriSchema = v.pipe(
  v.string("monitor-uri: expected a URI (for example /healthz)"),
  v.check((uri) => uri.length > 0 && !/\s/.test(uri), "monitor-uri: expected a URI without spaces (for example /healthz)"),
);
