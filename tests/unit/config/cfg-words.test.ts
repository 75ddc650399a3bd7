import { describe, expect, test } from "bun:test";
import { splitWords } from "../../../src/config/cfg-words.ts";

describe("splitWords (haproxy.cfg quoting)", () => {
  test.each(
    [
      ["  bind   :80  ", ["bind", ":80"]],
      ["\tserver\ta1 1.2.3.4:80", ["server", "a1", "1.2.3.4:80"]],
      ["maxconn 10 # a comment", ["maxconn", "10"]],
      ["# only a comment", []],
      ["", []],
      ['name "two words"', ["name", "two words"]],
      ["name 'two words'", ["name", "two words"]],
      ['a "# not a comment"', ["a", "# not a comment"]],
      ["a two\\ words", ["a", "two words"]],
      ["a \\#x", ["a", "#x"]],
      ['a "q\\"uote"', ["a", 'q"uote']],
      ["a 'no\\escape'", ["a", "no\\escape"]],
      ['a pre"mid"post', ["a", "premidpost"]],
      ['a ""', ["a", ""]],
      ["a \\x41", ["a", "A"]],
      // Unknown pairs stay as written, as HAProxy's tokenizer leaves them (`\1`, `\.`, `\,`).
      ["a b\\1 c\\.d \"e\\,f\"", ["a", "b\\1", "c\\.d", "e\\,f"]],
      ["a '$HOME'", ["a", "$HOME"]],
      ['a "\\$HOME"', ["a", "$HOME"]],
      ["a $HOME", ["a", "$HOME"]],
    ] as const,
  )("%p", (line, words) => {
    expect(splitWords(line)).toEqual({ ok: true, words: [...words] });
  });

  test.each([
    ['a "open', "unterminated double quote"],
    ["a 'open", "unterminated single quote"],
    ["a b\\", "backslash at end of line"],
    ["a \\xZZ", "invalid escape '\\xZZ'"],
    ['a "${HOME"', "unterminated '${' in '${HOME\"'"],
    ['a "${1X}"', "invalid variable name in '${1X}'"],
    ['a "${X:-y}"', "invalid variable reference '${X:-y}' (expected ${NAME}, ${NAME-default} or ${NAME[*]})"],
  ])("rejects %p", (line, error) => {
    expect(splitWords(line)).toEqual({ ok: false, error });
  });
});
