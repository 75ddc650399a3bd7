// A userlist (HAProxy's `userlist` section) as rules use it: who a request's
// Basic credentials name when the password matches, and which groups that
// user is in. Built once at load from the configuration's userlist; the
// passwords are parsed then, so a request only runs the checks.
import { parseBasic } from "./basic.ts";
import { insecurePassword, type PasswordCheck, parsePasswordHash } from "./password.ts";

/** A user as the configuration gives it (config/types.ts UserlistConfig satisfies UserlistSpec). */
export interface UserSpec {
  readonly name: string;
  /** `password HASH` (a crypt(3) hash) or `insecure-password TEXT`. */
  readonly password: { readonly hash: string } | { readonly insecure: string };
  /** Every group the user is in, from its own `groups` and the groups' `users`. */
  readonly groups: readonly string[];
}

export interface UserlistSpec {
  readonly name: string;
  readonly users: readonly UserSpec[];
}

export interface UserlistOptions {
  /** Successful checks remembered (see Userlist.check); 0: none. */
  readonly cacheEntries?: number;
}

/** Default bound of the verified-credentials cache, per userlist. */
export const AUTH_CACHE_ENTRIES = 1024;
/** Authorization values longer than this are checked every time, never remembered (bounds the cache's memory). */
export const AUTH_CACHE_MAX_KEY = 1024;

interface User {
  readonly password: PasswordCheck;
  readonly groups: ReadonlySet<string>;
  readonly groupList: readonly string[];
}

export class Userlist {
  readonly name: string;
  private readonly users = new Map<string, User>();
  /**
   * Authorization value → the user it proved, most recently used last.
   * Hash checks are slow by design (bcrypt at cost 10 takes tens of ms), and a
   * keep-alive client sends the same Authorization value with every request:
   * remembering successes keyed by the exact value spares it that cost per
   * request. Only successes are kept, at most `cacheEntries` of them (the
   * least recently used goes first), so no stream of wrong guesses can grow
   * it; a failure is checked again each time, as in HAProxy. The userlist
   * never changes once built (a reload builds a new one), so an entry never
   * goes stale.
   */
  private readonly verified = new Map<string, string>();
  private readonly cacheEntries: number;

  /** Throws when a user's password hash is not one `parsePasswordHash` accepts (config/ checked it already). */
  constructor(spec: UserlistSpec, options: UserlistOptions = {}) {
    this.name = spec.name;
    this.cacheEntries = options.cacheEntries ?? AUTH_CACHE_ENTRIES;
    for (const u of spec.users) {
      const password = "hash" in u.password ? parsePasswordHash(u.password.hash) : insecurePassword(u.password.insecure);
      if (typeof password === "string") throw new Error(`userlist '${spec.name}': user '${u.name}': ${password}`);
      this.users.set(u.name, { password, groups: new Set(u.groups), groupList: [...u.groups] });
    }
  }

  /** The user whose name and password the Authorization value carries as Basic credentials, or undefined. */
  check(authorization: string): string | undefined {
    const known = this.verified.get(authorization);
    if (known !== undefined) {
      // Most recently used goes last: delete and set again.
      this.verified.delete(authorization);
      this.verified.set(authorization, known);
      return known;
    }
    const credentials = parseBasic(authorization);
    if (credentials === undefined) return undefined;
    const user = this.users.get(credentials.user);
    if (user === undefined || !user.password.matches(credentials.password)) return undefined;
    this.remember(authorization, credentials.user);
    return credentials.user;
  }

  /** Is `user` (a name `check` returned) in `group`? */
  inGroup(user: string, group: string): boolean {
    return this.users.get(user)?.groups.has(group) ?? false;
  }

  /** The groups of `user`, as configured; empty for an unknown user. */
  groupsOf(user: string): readonly string[] {
    return this.users.get(user)?.groupList ?? [];
  }

  /** Verified credentials held now (for tests and stats). */
  get cachedEntries(): number {
    return this.verified.size;
  }

  private remember(authorization: string, user: string): void {
    if (this.cacheEntries <= 0 || authorization.length > AUTH_CACHE_MAX_KEY) return;
    if (this.verified.size >= this.cacheEntries) {
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(authorization, user);
  }
}
