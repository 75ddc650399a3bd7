// ACLs on the runtime API, as HAProxy 2.6 answers (map.c): `show acl [ACL]`,
// `add acl ACL PATTERN`, `del acl ACL KEY|#REF`, `clear acl ACL`, `get acl
// ACL VALUE`. ACL is a pattern file as the configuration wrote it (or its
// path), or `#<id>` of any ACL line's own values (`show acl` lists them).
// The next request sees a change: the ACLs reading the reference rebuild
// their matcher on their next evaluation (rules/acl.ts). Changes need the
// operator level, as map changes do.
import type { MapRef } from "../rules/match/map-ref.ts";
import type { Command, ControlContext } from "./commands.ts";
import { say } from "./commands.ts";
import { getEntry, listRefs, showEntries, versionArg } from "./pattern-refs.ts";
import { MALFORMED_VERSION, showVersion, versionCommands } from "./ref-versions.ts";

const UNKNOWN = say("Unknown ACL identifier. Please use #<id> or <file>.");

function aclOf(ctx: ControlContext, name: string | undefined): MapRef | undefined {
  return name === undefined ? undefined : ctx.maps?.find(name, "acl");
}

export const ACL_COMMANDS: readonly Command[] = [
  {
    words: ["show", "acl"],
    usage: "show acl [@<ver>] [acl]",
    help: "report available acls or dump an acl's contents",
    level: "user",
    run(call, ctx) {
      if (call.args.length === 0) return listRefs(ctx.maps?.all("acl") ?? []);
      const versioned = showVersion("acl", call.args, ctx);
      if (versioned !== undefined) return versioned;
      const acl = aclOf(ctx, call.args[0]);
      return acl === undefined ? UNKNOWN : showEntries(acl);
    },
  },
  {
    words: ["get", "acl"],
    usage: "get acl <acl> <value>",
    help: "report the patterns matching a sample for an ACL",
    level: "user",
    run(call, ctx) {
      if (call.args.length !== 2) return say("Missing ACL identifier and/or key.");
      const acl = aclOf(ctx, call.args[0]);
      return acl === undefined ? UNKNOWN : getEntry(acl, "acl", call.args[1]!);
    },
  },
  {
    words: ["add", "acl"],
    usage: "add acl [@<ver>] <acl> <pattern>",
    help: "add an acl entry",
    level: "operator",
    run(call, ctx) {
      const v = versionArg(call.args);
      if (v !== undefined && Number.isNaN(v.ver)) return MALFORMED_VERSION;
      const args = v?.rest ?? call.args;
      if (args.length !== 2) return say("'add acl' expects two parameters: ACL identifier and pattern.");
      const acl = aclOf(ctx, args[0]);
      if (acl === undefined) return UNKNOWN;
      const entries = [{ key: args[1]!, value: "" }];
      const problem = v === undefined ? acl.add(entries) : acl.addAt(v.ver, entries);
      return problem === undefined ? "" : say(`${problem}.`);
    },
  },
  {
    words: ["del", "acl"],
    usage: "del acl <acl> [<key>|#<ref>]",
    help: "delete acl entries matching <key>",
    level: "operator",
    run(call, ctx) {
      if (call.args.length !== 2) return say("This command expects two parameters: ACL identifier and key.");
      const acl = aclOf(ctx, call.args[0]);
      if (acl === undefined) return UNKNOWN;
      return acl.delete(call.args[1]!) === 0 ? say("Key not found.") : "";
    },
  },
  {
    words: ["clear", "acl"],
    usage: "clear acl [@<ver>] <acl>",
    help: "clear the contents of this acl",
    level: "operator",
    run(call, ctx) {
      const v = versionArg(call.args);
      if (v !== undefined && Number.isNaN(v.ver)) return MALFORMED_VERSION;
      const args = v?.rest ?? call.args;
      if (args.length === 0) return say("Missing ACL identifier.");
      const acl = aclOf(ctx, args[0]);
      if (acl === undefined) return UNKNOWN;
      if (v === undefined) {
        acl.clear();
        return "";
      }
      const problem = acl.clearAt(v.ver);
      return problem === undefined ? "" : say(problem);
    },
  },
  ...versionCommands("acl"),
];
