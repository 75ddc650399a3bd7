// Where a configured thing was written, and the named sections beside the
// proxies as the core consumes them: the peers sections this process takes
// part in and the userlists (types.ts re-exports them).
import type { StickTableSpec } from "../stick/types.ts";

/** Where a thing was written. `col` only for YAML/JSON. */
export interface Origin {
  file: string;
  line?: number;
  col?: number;
}

/** A `peers` section this process takes part in, resolved against its local name (schema-peers.ts). */
export interface PeersSectionConfig {
  name: string;
  /** This process's name among the peers. */
  localName: string;
  /** Where it listens for the other peers. */
  listen: { host: string; port: number };
  remotes: { name: string; host: string; port: number }[];
  /** The section's own tables, named "<section>/<table>" (shared as <table>). */
  tables: StickTableSpec[];
}

/** A `userlist` section; rules/auth's Userlist is built from it. */
export interface UserlistConfig {
  name: string;
  users: UserConfig[];
  /** Every group declared, in order. */
  groups: string[];
  origin: Origin;
}

export interface UserConfig {
  name: string;
  /** `password HASH` (a crypt(3) hash sluice checks: bcrypt, SHA-256-crypt, SHA-512-crypt) or `insecure-password TEXT`. */
  password: { hash: string } | { insecure: string };
  /** Every group the user is in: those its `groups` names and those whose `users` name it, in declaration order. */
  groups: string[];
  origin: Origin;
}
