// One error type for every problem found in a configuration, whatever the
// syntax: the CLI prints `message`, tests compare it, tools can read the parts.

export interface SourcePos {
  file: string;
  line?: number;
  /** Only YAML/JSON positions carry a column: haproxy.cfg is line-based. */
  col?: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** Where in the config, outermost first: ["backend 'api'", "server 'a1'"]. */
  readonly context: string[];
  /** What is wrong and, where it helps, what was expected. */
  readonly detail: string;

  constructor(at: SourcePos, context: string[], detail: string) {
    super(formatMessage(at, context, detail));
    this.file = at.file;
    if (at.line !== undefined) this.line = at.line;
    if (at.col !== undefined) this.col = at.col;
    this.context = context;
    this.detail = detail;
  }

  override toString(): string {
    return this.message;
  }
}

/** `FILE:LINE[:COL]`, or just `FILE` when the line is unknown. */
export function formatPos(at: SourcePos): string {
  if (at.line === undefined) return at.file;
  return at.col === undefined ? `${at.file}:${at.line}` : `${at.file}:${at.line}:${at.col}`;
}

function formatMessage(at: SourcePos, context: string[], detail: string): string {
  return [formatPos(at), ...context, detail].join(": ");
}

/**
 * A word of sluice's own where HAProxy says nothing (a setting it ignores
 * silently, a password no one can match): printed as a notice, and not
 * counted by `zero-warning`, so a file HAProxy starts with zero-warning
 * starts under sluice too.
 */
export class ConfigNotice extends ConfigError {
  override name = "ConfigNotice";
}

/** How a warning or notice is printed: `warning: FILE:LINE: ...` or `notice: ...`. */
export function warningLine(w: ConfigError): string {
  return `${w instanceof ConfigNotice ? "notice" : "warning"}: ${w.message}`;
}
