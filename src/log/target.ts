// One `log` line after parsing: where the lines go, how each is framed, which
// levels pass. The config layer builds these (src/config/schema-syslog.ts);
// the logger (sink.ts) opens one destination per distinct address.

/** HAProxy's framings (`format`), plus sluice's `json` (an object per line, no syslog header). */
export type LogFormatName =
  | "local"
  | "rfc3164"
  | "rfc5424"
  | "short"
  | "priority"
  | "timed"
  | "iso"
  | "raw"
  | "json";

export const SYSLOG_FORMATS: readonly LogFormatName[] = [
  "local",
  "rfc3164",
  "rfc5424",
  "short",
  "priority",
  "timed",
  "iso",
  "raw",
];

export interface LogTarget {
  /**
   * stdout / stderr / fd: a stream (HAProxy's fd@N); file: sluice's own
   * `log <path>` without a facility (appended to); udp: a syslog server;
   * unix: a datagram socket such as /dev/log.
   */
  kind: "stdout" | "stderr" | "fd" | "file" | "udp" | "unix";
  /** file and unix: as written if absolute, else joined to the directory of the config file that names it. */
  path?: string;
  /** fd only. */
  fd?: number;
  /** udp only: an IP address (or a name the system resolves), and the port (default 514). */
  host?: string;
  port?: number;
  format: LogFormatName;
  /**
   * The syslog facility's number (kern 0 ... local7 23). Absent on sluice's
   * short forms (`log stdout`, `log <file>`), which write raw or json lines.
   */
  facility?: number;
  /** Most verbose level sent (emerg 0 ... debug 7); default 7: everything. */
  level?: number;
  /** A more severe line is sent at this level instead (HAProxy's minlevel); default 0. */
  minLevel?: number;
  /** `len N`: a datagram's text is cut to N bytes (80-65535); datagram targets default to 1024. */
  maxLen?: number;
  /** No `format` was written: `log-send-hostname` turns HAProxy's default (local) into rfc3164. */
  formatDefaulted?: true;
}

/** A proxy's logging settings (`log-tag`, `option dontlognull` ...); each absent when unset. */
export interface ProxyLogging {
  /** `log-tag`: the TAG of this proxy's lines (else the global one). */
  tag?: string;
  /** Frontends: `option dontlognull`. */
  dontLogNull?: true;
  /**
   * Frontends: `option http-ignore-probes`: a connection closed, or timed out,
   * before its first request's first byte is neither answered (408) nor logged
   * nor counted (HAProxy's; without it: 400 CR-- or 408 cR--, logged).
   */
  ignoreProbes?: true;
  /** Frontends: `option dontlog-normal`. */
  dontLogNormal?: true;
  /** Frontends: `option log-separate-errors`. */
  separateErrors?: true;
  /** Frontends: `option logasap`. */
  asap?: true;
  /** Backends: `option log-health-checks`. */
  healthChecks?: true;
}

export const FACILITY_NAMES = [
  "kern",
  "user",
  "mail",
  "daemon",
  "auth",
  "syslog",
  "lpr",
  "news",
  "uucp",
  "cron",
  "auth2",
  "ftp",
  "ntp",
  "audit",
  "alert",
  "cron2",
  "local0",
  "local1",
  "local2",
  "local3",
  "local4",
  "local5",
  "local6",
  "local7",
] as const;

/** Syslog severities, most severe first: the index is the number. */
export const LEVEL_NAMES = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"] as const;

export type LevelName = (typeof LEVEL_NAMES)[number];

/** The levels sluice logs at, as HAProxy does: traffic at info, errors at err (log-separate-errors). */
export const LEVEL = { emerg: 0, alert: 1, err: 3, warning: 4, notice: 5, info: 6 } as const;

/** HAProxy's default maximum length of a syslog line (bytes, before the trailing newline). */
export const DEFAULT_MAX_LEN = 1024;

/** The destination a target writes to: targets with the same one share a sink. */
export function destinationKey(t: LogTarget): string {
  switch (t.kind) {
    case "stdout":
    case "stderr":
      return t.kind;
    case "fd":
      return t.fd === 1 ? "stdout" : t.fd === 2 ? "stderr" : `fd:${t.fd}`;
    case "file":
      return `file:${t.path}`;
    case "unix":
      return `unix:${t.path}`;
    case "udp":
      return `udp:${t.host}:${t.port}`;
  }
}

/** A target's destination and framing and filter: two lines with the same key say the same thing. */
export function targetKey(t: LogTarget): string {
  return [destinationKey(t), t.format, t.facility, t.level, t.minLevel, t.maxLen].join("\u0000");
}

/** A datagram target: sent whole, one line per datagram. */
export function isDatagram(t: LogTarget): boolean {
  return t.kind === "udp" || t.kind === "unix";
}
