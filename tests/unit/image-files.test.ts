// The image's one file list (build/image/files.txt) against the Dockerfile at
// the root: the Dockerfile must be exactly what the list renders, every file
// it copies must be in the docker build context (.dockerignore), and the list
// itself is checked as it is read. The layer umoci builds is compared with the
// same list in tests/e2e/image.test.ts.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ARCH_NAMES, contextPath, filesFor, labelsOf, readImageFiles, renderDockerfile, ROOT } from "../../build/image/files.ts";

describe("the image's file list", () => {
  const files = readImageFiles();

  test("the Dockerfile is the list's rendering (run `npm run image` after changing the list)", () => {
    expect(readFileSync(join(ROOT, "Dockerfile"), "utf8")).toBe(renderDockerfile(files, labelsOf()));
  });

  test("each architecture gets the binary, the user files, /tmp and its own loader and libc", () => {
    for (const arch of ARCH_NAMES) {
      const paths = filesFor(files, arch).map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(["/usr/bin/sluice", "/etc/passwd", "/etc/group", "/etc/sluice/sluice.cfg", "/tmp"]));
      expect(paths.filter((p) => p.includes("ld-linux"))).toHaveLength(1);
      expect(paths.filter((p) => p.endsWith("/libc.so.6"))).toHaveLength(1);
    }
    const passwd = readFileSync(join(ROOT, "build/image/passwd"), "utf8");
    expect(passwd).toMatch(/^sluice:x:65532:65532:/m);
    expect(readFileSync(join(ROOT, "build/image/group"), "utf8")).toMatch(/^sluice:x:65532:$/m);
  });

  test("every repository file it copies exists and the build context lets it in", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n").filter((l) => l.startsWith("!")).map((l) => l.slice(1));
    const glob = (pattern: string) => new RegExp(`^${pattern.replaceAll(".", "\\.").replaceAll("*", "[^/]*")}(/.*)?$`);
    for (const arch of ARCH_NAMES) {
      for (const f of filesFor(files, arch)) {
        const source = contextPath(f, arch, "0.0.0");
        if (f.source.kind === "repo") expect(existsSync(join(ROOT, source))).toBe(true);
        expect(ignore.some((p) => glob(p).test(source))).toBe(true);
      }
    }
  });

  test("a wrong line is refused with its line number", () => {
    expect(() => readImageFiles("all /x 0644 release\nall /x 0644 dir\n")).toThrow("files.txt:2: '/x' is listed twice (also line 1)");
    expect(() => readImageFiles("ppc /x 0644 dir\n")).toThrow("files.txt:1: unknown arch 'ppc'");
    expect(() => readImageFiles("all x 0644 dir\n")).toThrow("is not an absolute file path");
    expect(() => readImageFiles("all /x 644 dir\n")).toThrow("mode '644' is not four octal digits");
    expect(() => readImageFiles("all /x 0644 http://x\n")).toThrow("unknown source 'http://x'");
  });
});
