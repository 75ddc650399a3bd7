// HAProxy's atomic replacement of a map's or an ACL's entries (map.c):
// `prepare map|acl REF` makes an empty version and says its number, `add
// map|acl @V REF ...` and `clear map|acl @V REF` fill it unseen, `show
// map|acl @V REF` lists it, `commit map|acl @V REF` makes it the one read in
// one step (older prepared versions dropped). Shared by both command sets.
import type { MapRef, RefKind } from "../rules/match/map-ref.ts";
import type { Command, ControlContext } from "./commands.ts";
import { say } from "./commands.ts";
import { showEntries, versionArg } from "./pattern-refs.ts";

/** HAProxy's refusal of a version written wrong. */
export const MALFORMED_VERSION = say("Malformed version number.");

function unknownOf(kind: RefKind): string {
  return say(`Unknown ${kind === "acl" ? "ACL" : "map"} identifier. Please use #<id> or <file>.`);
}

function refOf(ctx: ControlContext, kind: RefKind, name: string | undefined): MapRef | undefined {
  return name === undefined ? undefined : ctx.maps?.find(name, kind);
}

/** `show map|acl @V REF`: that version's entries; undefined when the arguments name no version. */
export function showVersion(kind: RefKind, args: readonly string[], ctx: ControlContext): string | undefined {
  const v = versionArg(args);
  if (v === undefined) return undefined;
  if (Number.isNaN(v.ver)) return MALFORMED_VERSION;
  const ref = refOf(ctx, kind, v.rest[0]);
  return ref === undefined ? unknownOf(kind) : showEntries(ref, v.ver);
}

export function versionCommands(kind: RefKind): Command[] {
  return [
    {
      words: ["prepare", kind],
      usage: `prepare ${kind} <${kind}>`,
      help: `prepare a new version for atomic ${kind === "acl" ? "ACL" : "map"} replacement`,
      level: "operator",
      run(call, ctx) {
        if (call.args.length !== 1) return say(`'prepare ${kind}' expects one parameter: the ${kind === "acl" ? "ACL" : "map"} identifier.`);
        const ref = refOf(ctx, kind, call.args[0]);
        return ref === undefined ? unknownOf(kind) : say(`New version created: ${ref.prepare()}`);
      },
    },
    {
      words: ["commit", kind],
      usage: `commit ${kind} @<ver> <${kind}>`,
      help: `commit the ${kind === "acl" ? "ACL" : "map"} at this version`,
      level: "operator",
      run(call, ctx) {
        const v = versionArg(call.args);
        if (v === undefined) return say("Missing version number.");
        if (Number.isNaN(v.ver)) return MALFORMED_VERSION;
        const ref = refOf(ctx, kind, v.rest[0]);
        if (ref === undefined) return unknownOf(kind);
        const problem = ref.commit(v.ver);
        return problem === undefined ? "" : say(problem);
      },
    },
  ];
}
