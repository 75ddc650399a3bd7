// Time converters (HAProxy 2.6 §7.3.1): ltime and utime (strftime of a
// timestamp in seconds, local time or UTC, after an offset), http_date (the
// IMF-fixdate of RFC 9110 §5.6.7, "Sun, 06 Nov 1994 08:49:37 GMT").
import { intArg } from "../fetch/define.ts";
import type { ConverterDef, Sample } from "../types.ts";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

const pad = (n: number, width = 2, fill = "0") => String(n).padStart(width, fill);

/** The date's parts, in UTC or in the process's time zone. */
function parts(ms: number, utc: boolean) {
  const d = new Date(ms);
  return utc
    ? { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), wd: d.getUTCDay(), offset: 0 }
    : { y: d.getFullYear(), mo: d.getMonth(), d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds(), wd: d.getDay(), offset: -d.getTimezoneOffset() };
}

/** strftime(3)'s common conversions; an unknown one is written as it is. */
export function strftime(format: string, seconds: number, utc: boolean): string {
  const ms = seconds * 1000;
  const p = parts(ms, utc);
  const yday = Math.floor((Date.UTC(p.y, p.mo, p.d) - Date.UTC(p.y, 0, 1)) / 86_400_000) + 1;
  let out = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== "%" || i + 1 === format.length) {
      out += c;
      continue;
    }
    const k = format[++i]!;
    switch (k) {
      case "Y": out += p.y; break;
      case "y": out += pad(p.y % 100); break;
      case "C": out += pad(Math.floor(p.y / 100)); break;
      case "m": out += pad(p.mo + 1); break;
      case "d": out += pad(p.d); break;
      case "e": out += pad(p.d, 2, " "); break;
      case "H": out += pad(p.h); break;
      case "I": out += pad(p.h % 12 === 0 ? 12 : p.h % 12); break;
      case "M": out += pad(p.mi); break;
      case "S": out += pad(p.s); break;
      case "p": out += p.h < 12 ? "AM" : "PM"; break;
      case "j": out += pad(yday, 3); break;
      case "a": out += DAYS[p.wd]; break;
      case "A": out += LONG_DAYS[p.wd]; break;
      case "b": case "h": out += MONTHS[p.mo]; break;
      case "B": out += LONG_MONTHS[p.mo]; break;
      case "u": out += p.wd === 0 ? 7 : p.wd; break;
      case "w": out += p.wd; break;
      case "s": out += Math.floor(seconds); break;
      case "T": out += `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`; break;
      case "R": out += `${pad(p.h)}:${pad(p.mi)}`; break;
      case "D": out += `${pad(p.mo + 1)}/${pad(p.d)}/${pad(p.y % 100)}`; break;
      case "F": out += `${p.y}-${pad(p.mo + 1)}-${pad(p.d)}`; break;
      case "z": {
        const a = Math.abs(p.offset);
        out += `${p.offset < 0 ? "-" : "+"}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
        break;
      }
      case "Z": out += utc ? "GMT" : (Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(new Date(ms)).find((x) => x.type === "timeZoneName")?.value ?? ""); break;
      case "n": out += "\n"; break;
      case "t": out += "\t"; break;
      case "%": out += "%"; break;
      default: out += `%${k}`;
    }
  }
  return out;
}

function timeFormat(name: string, utc: boolean): ConverterDef {
  return {
    name,
    minArgs: 1,
    maxArgs: 2,
    in: "int",
    out: "str",
    compile(args) {
      const format = args[0]!;
      const offset = args[1] === undefined || args[1] === "" ? 0 : intArg(args[1]);
      if (offset === undefined) return `${name}: the offset '${args[1]}' is not an integer`;
      return (s: Sample) => strftime(format, (s as number) + offset, utc);
    },
  };
}

/** Units http_date's second argument names, as divisors of the input to seconds. */
const UNITS: Readonly<Record<string, number>> = { s: 1, ms: 1000, us: 1_000_000 };

export const TIME_CONVERTERS: readonly ConverterDef[] = [
  timeFormat("ltime", false),
  timeFormat("utime", true),
  {
    // http_date([<offset>[,<unit>]]): the input (seconds, or ms/us with a unit) as an HTTP date.
    name: "http_date",
    minArgs: 0,
    maxArgs: 2,
    in: "int",
    out: "str",
    compile(args) {
      const offset = args[0] === undefined || args[0] === "" ? 0 : intArg(args[0]);
      if (offset === undefined) return `http_date: the offset '${args[0]}' is not an integer`;
      const unit = UNITS[args[1] === undefined || args[1] === "" ? "s" : args[1]];
      if (unit === undefined) return `http_date: unknown unit '${args[1]}' (s, ms or us)`;
      // With ms or us, the fraction follows the seconds as HAProxy 2.6 writes it: the remainder unpadded (".5" for 5 ms).
      return (s: Sample) => {
        const v = (s as number) + offset;
        const seconds = Math.floor(v / unit);
        const fraction = unit === 1 ? "" : `.${v - seconds * unit}`;
        return strftime(`%a, %d %b %Y %H:%M:%S${fraction} GMT`, seconds, true);
      };
    },
  },
];
