// An ACL over references that change at run time (appends, deletions by key
// and by #id, clears, prepare/commit, new values) matches as a plain scan of
// its current patterns would, after every change: 5 match methods, seeded.
import { expect, test } from "bun:test";
import { compileCondition } from "../../../src/rules/acl.ts";
import { MapRegistry } from "../../../src/rules/match/map-ref.ts";
import { Stage } from "../../../src/rules/types.ts";
import { acls, env, request, txn } from "./txn.ts";
let seed = 12345;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
for (const [method, opt] of [["beg", ""], ["str", "-i"], ["sub", ""], ["reg", "-i"], ["end", ""]] as const) {
  test(`fuzz ${method} ${opt}`, () => {
    const registry = new MapRegistry();
    const e = env({}, {
      mapRef: (file, parse, kind) => registry.ref(file, `/etc/${file}`, "acl 'path'", () => parse("/a\n/b\n"), kind),
      inlineRef: (d, values) => registry.inline(d, values),
    });
    const c = compileCondition(["if", "x"], acls([`x path -m ${method} ${opt} -f f1.lst -f f2.lst /zz`]), Stage.httpRequest, e);
    if (typeof c === "string") throw new Error(c);
    const refs = [registry.find("f1.lst")!, registry.find("f2.lst")!, registry.all().find((r) => r.file === "")!];
    const words = Array.from({ length: 60 }, (_, i) => `/${String.fromCharCode(97 + (i % 26))}${i}`);
    const naive = (p: string) => refs.some((r) => r.entries.some((en) => {
      const k = opt === "-i" ? en.key.toLowerCase() : en.key; const s = opt === "-i" ? p.toLowerCase() : p;
      return method === "beg" ? s.startsWith(k) : method === "str" ? s === k : method === "sub" ? s.includes(k) : method === "end" ? s.endsWith(k) : new RegExp(en.key, opt ? "i" : "").test(p);
    }));
    for (let step = 0; step < 1500; step++) {
      const r = refs[rnd(3)]!;
      const op = rnd(20);
      const w = words[rnd(60)]!;
      if (op < 12) r.add([{ key: rnd(2) ? w : w.toUpperCase(), value: "" }]);
      else if (op < 14) r.delete(w, true);
      else if (op === 14) { const en = r.entries[rnd(r.entries.length + 1)]; if (en) r.delete(`#${en.id.toString(16)}`); }
      else if (op === 15 && rnd(10) === 0) r.clear();
      else if (op === 16) { const v = r.prepare(); r.addAt(v, r.entries.slice(0, rnd(r.entries.length + 1)).map((x) => ({ key: x.key, value: "" }))); r.commit(v); }
      else if (op === 17) r.set(w, "v", true);
      else if (op === 18) r.add([]);
      for (const p of words) for (const P of [p, p.toUpperCase(), p + "q"]) {
        const got = c(txn({ request: request("GET", P) }));
        expect([step, P, got]).toEqual([step, P, naive(P)]);
      }
    }
  });
}
