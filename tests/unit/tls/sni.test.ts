// The certificate choice by SNI (src/tls/sni.ts): exact, then wildcard, then
// the default; ECDSA and RSA certificates of one name in one group; strict-sni.
import { describe, expect, test } from "bun:test";
import { planSni, type SniCertificate } from "../../../src/tls/sni.ts";

const cert = (id: string, names: string[], keyType: "ec" | "rsa" = "ec"): SniCertificate => ({
  pair: { cert: id, key: id },
  names,
  keyType,
});

const ids = (plan: ReturnType<typeof planSni>, name: string) => plan.groups[plan.select(name)]?.map((p) => p.cert) ?? null;

describe("planSni", () => {
  const certs = [
    cert("a-ec", ["a.test", "www.a.test"]),
    cert("a-rsa", ["a.test"], "rsa"),
    cert("wild", ["*.w.test"]),
    cert("x-exact", ["x.w.test"]),
    cert("a-ec-2", ["a.test"]), // a second ECDSA for a.test: the first written wins
  ];

  test("exact name first, with both key types in one group", () => {
    const plan = planSni(certs, 0, false);
    expect(ids(plan, "a.test")).toEqual(["a-ec", "a-rsa"]);
    expect(ids(plan, "A.TEST")).toEqual(["a-ec", "a-rsa"]);
    expect(ids(plan, "www.a.test")).toEqual(["a-ec"]);
    expect(ids(plan, "x.w.test")).toEqual(["x-exact"]);
  });

  test("then a wildcard one label up (not two)", () => {
    const plan = planSni(certs, 0, false);
    expect(ids(plan, "y.w.test")).toEqual(["wild"]);
    expect(ids(plan, "z.y.w.test")).toEqual(["a-ec", "a-rsa"]);
    expect(ids(plan, "w.test")).toEqual(["a-ec", "a-rsa"]);
  });

  test("then the default (its name's group), also without SNI", () => {
    const plan = planSni(certs, 0, false);
    expect(ids(plan, "other.test")).toEqual(["a-ec", "a-rsa"]);
    expect(ids(plan, "")).toEqual(["a-ec", "a-rsa"]);
    const byWild = planSni(certs, 2, false);
    expect(ids(byWild, "other.test")).toEqual(["wild"]);
  });

  test("strict-sni: unknown or missing names are refused", () => {
    const plan = planSni(certs, 0, true);
    expect(plan.select("other.test")).toBe(-1);
    expect(plan.select("")).toBe(-1);
    expect(ids(plan, "a.test")).toEqual(["a-ec", "a-rsa"]);
    expect(ids(plan, "q.w.test")).toEqual(["wild"]);
  });

  test("a certificate without names is still the default", () => {
    const plan = planSni([cert("anon", [])], 0, false);
    expect(ids(plan, "any.test")).toEqual(["anon"]);
  });
});
