// The lines of a haproxy.cfg `userlist` section → raw entries in the list
// form YAML writes (schema-userlist.ts checks them for both syntaxes):
//
//   user <name> [password <hash> | insecure-password <text>] [groups <group>[,<group>...]]
//   group <name> [users <user>[,<user>...]]
//
// Options come in any order, as HAProxy reads them; each at most once.

export const USERLIST_USAGE = {
  user: "user <name> password <hash> | insecure-password <password> [groups <group>,...]",
  group: "group <name> [users <user>,...]",
} as const;

const OPTIONS = { user: ["password", "insecure-password", "groups"], group: ["users"] } as const;

export type UserlistLine =
  | { list: "users" | "groups"; entry: Record<string, string> }
  | { error: string; context: string[] };

/** One line of a userlist section: its entry, or what is wrong (with the user or group it is about). */
export function readUserlistLine(keyword: string, args: readonly string[]): UserlistLine {
  if (keyword !== "user" && keyword !== "group") {
    return { error: `unknown keyword '${keyword}' in a userlist section (expected user or group)`, context: [] };
  }
  const [name, ...rest] = args;
  if (name === undefined) return { error: `missing name for '${keyword}' (usage: ${USERLIST_USAGE[keyword]})`, context: [] };
  const context = [`${keyword} '${name}'`];
  const allowed: readonly string[] = OPTIONS[keyword];
  const entry: Record<string, string> = { name };
  for (let i = 0; i < rest.length; i += 2) {
    const option = rest[i]!;
    const value = rest[i + 1];
    if (!allowed.includes(option)) {
      return { error: `unknown option '${option}' (usage: ${USERLIST_USAGE[keyword]})`, context };
    }
    if (value === undefined) return { error: `missing value for '${option}' (usage: ${USERLIST_USAGE[keyword]})`, context };
    if (Object.hasOwn(entry, option)) return { error: `'${option}' given twice`, context };
    entry[option] = value;
  }
  return { list: keyword === "user" ? "users" : "groups", entry };
}
