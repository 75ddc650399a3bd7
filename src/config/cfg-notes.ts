// Lines HAProxy accepts whose effect sluice reaches another way: accepted,
// with a warning that says why nothing more is done (issue 19, bindopts).
// cfg.ts asks here for every keyword line; the keyword itself is still read
// by its schema (in YAML too, where the same words are accepted quietly).

/** The warning a line deserves, or undefined. `section` is the section kind ("global", "frontend", ...). */
export function lineNote(section: string, keyword: string, args: readonly string[]): string | undefined {
  if (section === "global" && keyword === "stats" && args[0] === "socket") {
    const at = args.indexOf("expose-fd");
    if (at > 0 && args[at + 1] === "listeners") {
      return "stats socket: 'expose-fd listeners' has no effect: HAProxy passes its listening sockets to a new process started with -x; sluice's reload opens them again with SO_REUSEPORT and never needs them";
    }
  }
  if (section === "defaults" && keyword === "compression" && args[0] === "offload") {
    return "'compression offload' ignored in a defaults section (as HAProxy: set it in the frontend, backend or listen)";
  }
  return undefined;
}
