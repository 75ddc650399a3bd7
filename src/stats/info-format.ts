// `show info` in HAProxy 2.6's three forms: `Name: value` lines, `typed`
// (`pos.Name.process:tags:type:value`) and `json` (one array of typed
// fields on one line); `desc` adds each field's description (text and typed
// only: HAProxy 2.6's JSON has none, measured). Fields go in HAProxy's order
// whatever order they were made in, and a field with an empty value is left
// out, as HAProxy leaves out a field it did not fill (`description` unset).
import { INFO_FIELDS, infoSpec, type InfoSpec } from "./info-fields.ts";
import { NATURE_WORDS, ORIGIN_WORDS, SCOPE_WORDS } from "./typed.ts";
import type { InfoField } from "./types.ts";

export interface InfoFormat {
  readonly form: "text" | "typed" | "json";
  /** `desc`: each field's description after its value. */
  readonly desc?: boolean;
}

interface Placed {
  readonly field: InfoField;
  readonly spec: InfoSpec;
}

/** The fields HAProxy 2.6 has, in its order, those without a value left out. */
function placed(fields: readonly InfoField[]): Placed[] {
  const out: Placed[] = [];
  for (const field of fields) {
    const spec = infoSpec(field.name);
    if (spec === undefined || field.value === "") continue;
    out.push({ field, spec });
  }
  return out.sort((a, b) => a.spec.pos - b.spec.pos);
}

/** The process number typed lines carry: the Process_num field (the master's merged figures say 0). */
function processNum(fields: readonly InfoField[]): number {
  const v = fields.find((f) => f.name === "Process_num")?.value;
  return typeof v === "number" ? v : 1;
}

function typedLine(p: Placed, num: number, desc: boolean): string {
  const line = `${p.spec.pos}.${p.spec.name}.${num}:${p.spec.tags}:${p.spec.type}:${p.field.value}`;
  return desc ? `${line}:"${p.spec.desc}"` : line;
}

export function infoJsonFields(fields: readonly InfoField[]): unknown[] {
  const num = processNum(fields);
  return placed(fields).map(({ field, spec }) => ({
    field: { pos: spec.pos, name: spec.name },
    processNum: num,
    tags: { origin: ORIGIN_WORDS[spec.tags[0]!], nature: NATURE_WORDS[spec.tags[1]!], scope: SCOPE_WORDS[spec.tags[2]!] },
    value: { type: spec.type, value: field.value },
  }));
}

/** The answer to `show info [typed|json] [desc]` (the connection adds the blank line that ends every answer). */
export function formatInfo(fields: readonly InfoField[], format: InfoFormat = { form: "text" }): string {
  const desc = format.desc === true;
  if (format.form === "json") return `${JSON.stringify(infoJsonFields(fields))}\n`;
  const list = placed(fields);
  if (format.form === "typed") {
    const num = processNum(fields);
    return list.map((p) => typedLine(p, num, desc) + "\n").join("");
  }
  return list.map((p) => `${p.spec.name}: ${p.field.value}${desc ? `:"${p.spec.desc}"` : ""}\n`).join("");
}

/** HAProxy 2.6's field names in order (for documentation and tests). */
export const INFO_NAMES: readonly string[] = INFO_FIELDS.map((f) => f.name);
