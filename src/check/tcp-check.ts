// `option tcp-check`: the rules as a probe script. `send` strings go out as
// written (haproxy.cfg escapes already applied: \r\n; `send-binary` hex is
// bytes already), `expect string` looks for the text in what came back,
// `binary` for the bytes its hex digits say, `rstring` matches a regular expression;
// `!` turns either around (and then needs the answer's end to pass: a
// timeout is a timeout).
import { hexBytes } from "../config/schema-check.ts";
import type { TcpCheckStep } from "../config/types.ts";
import type { Judge, Step, Verdict } from "./probe.ts";

const latin1 = new TextDecoder("latin1");
/** HAProxy's verdict for a tcp-check that passed (code 0 included, as it logs it). */
const PASSED: Verdict = { status: "L7OK", info: "(tcp-check)", code: 0 };

function bytes(text: string): Uint8Array {
  // Byte for byte, as haproxy.cfg's \xHH escapes mean bytes.
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** What HAProxy's messages call the pattern: a string as written, a regex or hex bytes by their kind. */
function patternWords(s: Extract<TcpCheckStep, { kind: "expect" }>): string {
  return s.match === "string" ? `'${s.pattern}'` : s.match === "rstring" ? "(regex)" : "(binary)";
}

function expectJudge(s: Extract<TcpCheckStep, { kind: "expect" }>, index: number, comment: string): Judge {
  const wanted = s.match === "binary" ? hexBytes(s.pattern) : s.pattern;
  const test = s.match === "rstring" ? ((re) => (t: string) => re.test(t))(new RegExp(s.pattern)) : (t: string) => t.includes(wanted);
  const failed: Verdict = { status: "L7RSP", info: `TCPCHK did not match content ${patternWords(s)} at step ${index}${comment}` };
  return (received, closed) => {
    const found = test(latin1.decode(received));
    if (s.negate) {
      if (found) return { status: "L7RSP", info: `TCPCHK matched unwanted content ${patternWords(s)} at step ${index}${comment}` };
      return closed ? PASSED : undefined;
    }
    if (found) return PASSED;
    if (closed) return received.length === 0 ? { status: "L7RSP", info: `TCPCHK got an empty response at step ${index}${comment}` } : failed;
    return undefined;
  };
}

/** The script of a tcp-check rule list; a first rule other than connect gets a connect before it (HAProxy). */
export function tcpCheckScript(steps: readonly TcpCheckStep[]): Step[] {
  const script: Step[] = [];
  const first = steps.find((s) => s.kind !== "comment");
  if (first?.kind !== "connect") script.push({ kind: "connect", context: "at initial connection step of tcp-check" });
  // A `tcp-check comment` line names the rule after it, and every expect after
  // that up to the next send or connect (HAProxy 2.6, measured: comment, expect,
  // expect; the second's failure quotes it); a rule's own `comment` wins.
  let carried: string | undefined;
  steps.forEach((s, i) => {
    // HAProxy numbers the rules from 1, comment lines included.
    const index = i + 1;
    if (s.kind === "comment") {
      carried = s.text;
      return;
    }
    const comment = s.comment ?? carried;
    if (s.kind !== "expect") carried = undefined;
    // HAProxy quotes the comment after a connect's or a timeout's words, not after a content check's.
    const quoted = comment === undefined ? "" : ` comment: '${comment}'`;
    if (s.kind === "connect") {
      const context = `at step ${index} of tcp-check (connect${s.port === undefined ? "" : ` port ${s.port}`})${quoted}`;
      script.push(s.port === undefined ? { kind: "connect", context } : { kind: "connect", port: s.port, context });
    }
    else if (s.kind === "send") script.push({ kind: "send", data: bytes(s.data) });
    else {
      // HAProxy's words, their leading space included.
      const onTimeout: Verdict = { status: "L7TOUT", info: ` at step ${index} of tcp-check (expect ${s.match} '${s.pattern}')${quoted}` };
      script.push({ kind: "expect", judge: expectJudge(s, index, comment === undefined ? "" : ` comment: ${comment}`), onTimeout });
    }
  });
  return script;
}
