import { expect, test } from "bun:test";
import { loadConfigTexts } from "../../src/config/load.ts";
import { unsupportedByCore } from "../../src/core/capabilities.ts";

test("mode http is refused by this version's core, with file and line", () => {
  const loaded = loadConfigTexts([{
    name: "h.cfg",
    text: "frontend web\n    mode http\n    bind :8081\n    default_backend app\nbackend app\n    mode http\n    server a 127.0.0.1:9000\n",
  }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  expect(unsupportedByCore(loaded.config).map((e) => e.message)).toEqual([
    "h.cfg:1: frontend 'web': mode 'http' is not supported yet (supported: tcp)",
    "h.cfg:5: backend 'app': mode 'http' is not supported yet (supported: tcp)",
  ]);
});

test("tcp configs pass", () => {
  const loaded = loadConfigTexts([{ name: "t.cfg", text: "listen db 127.0.0.1:5432\n    server a 127.0.0.1:5433\n" }]);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join("\n"));
  expect(unsupportedByCore(loaded.config)).toEqual([]);
});
