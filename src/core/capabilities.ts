// What this version of the core can serve. The config model already knows
// more (mode http); a config asking for it is refused with a positioned error
// rather than proxied as opaque TCP behind the user's back.
import { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/types.ts";

export function unsupportedByCore(config: Config): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const p of [...config.frontends.map((f) => ["frontend", f] as const), ...config.backends.map((b) => ["backend", b] as const)]) {
    const [kind, proxy] = p;
    if (proxy.mode === "http") {
      errors.push(new ConfigError(proxy.origin, [`${kind} '${proxy.name}'`], "mode 'http' is not supported yet (supported: tcp)"));
    }
  }
  return errors;
}
