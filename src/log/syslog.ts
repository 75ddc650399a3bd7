// The header HAProxy 2.6 puts in front of a log line, per `format`, byte for
// byte as haproxy emits it (tests/e2e/syslog.test.ts compares the two):
//   local     <PRI>Mmm dd hh:mm:ss TAG[PID]: text          (the default)
//   rfc3164   <PRI>Mmm dd hh:mm:ss HOST TAG[PID]: text     (HOST "localhost" without log-send-hostname)
//   rfc5424   <PRI>1 ISO HOST TAG PID - - text             (HOST "-" without log-send-hostname)
//   priority  <PRI>text
//   short     <LEVEL>text
//   timed     <LEVEL>ISO text
//   iso       ISO text
//   raw       text
// PRI is facility * 8 + level; ISO is 2026-12-06T14:21:47.768000+00:00 in
// local time (sluice's clock has milliseconds, so the last three digits are 0).
// Dates are local time, as syslog daemons expect.
import type { LogFormatName } from "./target.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** What every header of a process (or a proxy, for the tag) shares. */
export interface SyslogIdentity {
  /** `log-tag` (the proxy's, else the global one), default "sluice". */
  readonly tag: string;
  /** `log-send-hostname`; undefined: not sent. */
  readonly hostname: string | undefined;
  readonly pid: number;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/** RFC 3164's timestamp: "Dec  6 14:21:47" (day padded with a space). */
export function rfc3164Date(ms: number): string {
  const d = new Date(ms);
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? " " + day : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${
    pad2(d.getSeconds())
  }`;
}

/** HAProxy's ISO 8601 timestamp: 2026-12-06T14:21:47.768000+00:00. */
export function isoDate(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? "-" : "+"}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
  const millis = String(d.getMilliseconds()).padStart(3, "0");
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${
    pad2(d.getMinutes())
  }:${pad2(d.getSeconds())}.${millis}000${zone}`;
}

/**
 * A framer for one format and identity. RFC 3164 dates change once a second:
 * the header up to the text is kept for the second and level it was made for.
 */
export class SyslogFramer {
  private cachedSecond = -1;
  private cachedPri = -1;
  private cachedHeader = "";

  constructor(
    private readonly format: LogFormatName,
    private readonly id: SyslogIdentity,
  ) {}

  /** The line as sent: header then text (without the newline). */
  frame(text: string, facility: number, level: number, wallMs: number): string {
    const pri = facility * 8 + level;
    switch (this.format) {
      case "raw":
      case "json":
        return text;
      case "short":
        return `<${level}>${text}`;
      case "priority":
        return `<${pri}>${text}`;
      case "iso":
        return `${isoDate(wallMs)} ${text}`;
      case "timed":
        return `<${level}>${isoDate(wallMs)} ${text}`;
      case "rfc5424":
        return `<${pri}>1 ${isoDate(wallMs)} ${this.id.hostname ?? "-"} ${this.id.tag} ${this.id.pid} - - ${text}`;
      case "local":
      case "rfc3164":
        return this.bsdHeader(pri, wallMs) + text;
    }
  }

  private bsdHeader(pri: number, wallMs: number): string {
    const second = Math.floor(wallMs / 1000);
    if (second !== this.cachedSecond || pri !== this.cachedPri) {
      const host = this.format === "rfc3164" ? `${this.id.hostname ?? "localhost"} ` : "";
      this.cachedHeader = `<${pri}>${rfc3164Date(wallMs)} ${host}${this.id.tag}[${this.id.pid}]: `;
      this.cachedSecond = second;
      this.cachedPri = pri;
    }
    return this.cachedHeader;
  }
}

const encoder = new TextEncoder();

/** A datagram: the line cut to `maxLen` bytes (HAProxy's `len`), then a newline, as haproxy sends it. */
export function datagramBytes(line: string, maxLen: number): Uint8Array {
  const encoded = encoder.encode(line);
  const length = Math.min(encoded.length, maxLen);
  const out = new Uint8Array(length + 1);
  out.set(length === encoded.length ? encoded : encoded.subarray(0, length));
  out[length] = 0x0a;
  return out;
}
