import { describe, expect, test } from "bun:test";
import { shaCrypt } from "../../../../src/rules/auth/sha-crypt.ts";

// The test vectors of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512":
// setting, key, expected crypt() result (rounds below 1000 are clamped to 1000,
// salts cut at 16 characters, as the spec says).
const SPEC: readonly [setting: string, key: string, expected: string][] = [
  ["$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"],
  ["$5$rounds=10000$saltstringsaltstring", "Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"],
  ["$5$rounds=5000$toolongsaltstring", "This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"],
  ["$5$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"],
  ["$5$rounds=77777$short", "we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"],
  ["$5$rounds=123456$asaltof16chars..", "a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"],
  ["$5$rounds=10$roundstoolow", "the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"],
  ["$6$saltstring", "Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"],
  ["$6$rounds=10000$saltstringsaltstring", "Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."],
  ["$6$rounds=5000$toolongsaltstring", "This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"],
  ["$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"],
  ["$6$rounds=77777$short", "we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"],
  ["$6$rounds=123456$asaltof16chars..", "a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"],
  ["$6$rounds=10$roundstoolow", "the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."],
];

// Keys of n times "k" around the digest sizes (32 and 64 bytes), where steps
// 9-10 and 16 change how many blocks they add: made by libxcrypt's crypt(3).
const BOUNDARIES: readonly [length: number, setting: string, expected: string][] = [
  [0, "$5$boundary", "$5$boundary$mXyC4stsU6qTCy1r62y6jB93kOoR2aADZtezmMtIay2"],
  [0, "$6$boundary", "$6$boundary$aGreIGP.KXxZ6TPBxCqjYuq7ZiGGto9FUC48QEgyh.L8rv6/ITFIcfHKiupckYPXTp8HICIW2yXwP1/iKknLg1"],
  [1, "$5$boundary", "$5$boundary$Vj8wVB5W47sl3GySs8WUuDpg1eZT5CtOUhlpkDydm6/"],
  [1, "$6$boundary", "$6$boundary$FvD.oyVCPtF0fuiq/VXrg5GFE.bMjfF3Qv.0jRLqwYCxokDR7fe5.HFx.wu1qG7n5zHJlhSBhLb0QSOT0WBWH/"],
  [31, "$5$boundary", "$5$boundary$GFTbX6C6oPyybkq2VlZ7lEKN4xhT.uQHL2kVV7E9lE2"],
  [31, "$6$boundary", "$6$boundary$HORIoMYDL/Cme9cMDgg8YnRtLP/TrDE0vdqCWpZaJYqarxo0WYJn8Q/ktS3qchEz3F02YgFFouGS4kpU3mhfD."],
  [33, "$5$boundary", "$5$boundary$GWY1TkH5RVdnToKSnwbu6qEgZQqCLKpLdFEqFVbHuC0"],
  [33, "$6$boundary", "$6$boundary$O9yUNgYPZ11RiplL.H2EoPrlX9jAIYcIDT7srlz7bY1KwORYyadGmPPzZKyI4012d.I9ibb20b4vOSRRj.0t9."],
  [63, "$5$boundary", "$5$boundary$nHsePV7hgy8fbXREMQRQ4aTCHIiutGzlLd8baz7N.4B"],
  [63, "$6$boundary", "$6$boundary$XnpREpF1G4MIpxoK1/D0FpPCBWaGpgvUij3KMKlCxIcngEFURjK8QcsJHs.qcyiTvPDaoEj7ZKceBoohkyEh/."],
  [65, "$5$boundary", "$5$boundary$roOkPnJN0zEdBp3cyNNe6bGqbzIYwE1DWBiuI97DLO0"],
  [65, "$6$boundary", "$6$boundary$dNvDS/f4DtiS7Z7BM1tDIn6I2ZFruA5K7J.TWlwZSzasCSWGYTySPd5/5Yq4mQHcnfl6QGjttVeDir.ne53RC0"],
  [128, "$5$boundary", "$5$boundary$QH36rjv9mWp4yUxWekJIOvUNtTwaANYZDcJ/UHwJ7P7"],
  [128, "$6$boundary", "$6$boundary$we/XaPbh5QKdiwoLIlTLAtUyMed4LHgzj7scCbi7jWBsiDq3r1oBt0Y7xxL0exDfM1m94/bSG4vUGjDKTfgLX0"],
];

describe("SHA-crypt", () => {
  test.each(SPEC)("the spec's vector %s", (setting, key, expected) => {
    expect(shaCrypt(key, setting)).toBe(expected);
  });

  test.each(BOUNDARIES)("a key of %d bytes, %s, as libxcrypt computes it", (length, setting, expected) => {
    expect(shaCrypt("k".repeat(length), setting)).toBe(expected);
  });

  test("keys of exactly one digest size (a whole block: B added once, not left out)", () => {
    expect(shaCrypt("a".repeat(32), "$5$saltsalt")).toBe("$5$saltsalt$tWapoD8pPXtbv36Daa/gvGzhHl1q7GaspUoh386s.vD");
    expect(shaCrypt("b".repeat(64), "$6$saltsalt")).toBe(
      "$6$saltsalt$fAyfSXoJG8..Ix66W9oPPrsqIRzthtvCI1viP/Sqve/6lyxw2X60c.uXrZCAlvvPjLsm2wiGBdPIaxlb1dozI0",
    );
  });

  test("bytes and their UTF-8 text hash alike; a full hash as the setting reuses its salt", () => {
    const full = shaCrypt("pässwörd", "$6$rounds=1000$abc");
    expect(shaCrypt(new TextEncoder().encode("pässwörd"), "$6$rounds=1000$abc")).toBe(full);
    expect(shaCrypt("pässwörd", full)).toBe(full);
    expect(shaCrypt("passwörd", full)).not.toBe(full);
  });

  test("rounds=0 is clamped to 1000 as the spec says; a setting of another scheme throws", () => {
    expect(shaCrypt("x", "$5$rounds=0$s")).toBe(shaCrypt("x", "$5$rounds=1000$s"));
    expect(shaCrypt("x", "$5$rounds=0$s").startsWith("$5$rounds=1000$s$")).toBe(true);
    expect(() => shaCrypt("x", "$1$abc")).toThrow("not a SHA-crypt setting: '$1$'");
  });
});
