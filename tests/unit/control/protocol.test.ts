// The runtime API's protocol pieces: a line's commands and words, the
// payload marker, HAProxy 2.6's help and unknown-command texts (over
// haproxy 2.6's own command list, with the headers and layout it prints), and
// a connection's behaviour (non-interactive, prompt, payload, quit, timeout)
// over an in-memory socket.
import { describe, expect, test } from "bun:test";
import { CommandTable } from "../../../src/control/commands.ts";
import { CliConnection, MAX_LINE } from "../../../src/control/connection.ts";
import { helpText, unknownText } from "../../../src/control/usage.ts";
import { payloadCommand, splitCommands } from "../../../src/control/words.ts";
import { MemSocket } from "../../support/mem-runtime.ts";
import { VirtualClock } from "../../support/virtual-clock.ts";

describe("a command line", () => {
  test("commands split on ';', words on blanks, a backslash escapes", () => {
    expect(splitCommands("get weight be/s1; get weight  be/s2")).toEqual([{ words: ["get", "weight", "be/s1"] }, { words: ["get", "weight", "be/s2"] }]);
    expect(splitCommands("set map m a\\;b x\\ y")).toEqual([{ words: ["set", "map", "m", "a;b", "x y"] }]);
    expect(splitCommands("a;;b").map((c) => c.words)).toEqual([["a"], [], ["b"]]);
    expect(splitCommands("").map((c) => c.words)).toEqual([[]]);
  });

  test("'<<' as the last word announces a payload", () => {
    expect(payloadCommand("set ssl cert /a.pem <<")).toBe("set ssl cert /a.pem");
    expect(payloadCommand("add map m.map <<  ")).toBe("add map m.map");
    expect(payloadCommand("add map m.map x<<")).toBeUndefined();
    expect(payloadCommand("show map")).toBeUndefined();
  });
});

// HAProxy 2.6.12's own commands (the usage column of its `help`), to check the
// fuzzy matching against the answers the real haproxy gave to the same input.
const HAPROXY_USAGES = [
  "abort ssl ca-file <cafile>", "abort ssl cert <certfile>", "abort ssl crl-file <crlfile>", "add acl [@<ver>] <acl> <pattern>",
  "add map [@<ver>] <map> <key> <val>", "add server <bk>/<srv>", "add ssl crt-list <list> <cert> [opts]*", "clear acl [@<ver>] <acl>",
  "clear counters [all]", "clear map [@<ver>] <map>", "clear table <table> [<filter>]*", "commit acl @<ver> <acl>", "commit map @<ver> <map>",
  "commit ssl ca-file <cafile>", "commit ssl cert <certfile>", "commit ssl crl-file <crlfile>", "del acl <acl> [<key>|#<ref>]",
  "del map <map> [<key>|#<ref>]", "del server <bk>/<srv>", "del ssl ca-file <cafile>", "del ssl cert <certfile>", "del ssl crl-file <crlfile>",
  "del ssl crt-list <list> <cert[:line]>", "disable agent", "disable dynamic-cookie backend <bk>", "disable frontend <frontend>", "disable health",
  "disable server (DEPRECATED)", "enable agent", "enable dynamic-cookie backend <bk>", "enable frontend <frontend>", "enable health",
  "enable server  (DEPRECATED)", "get acl <acl> <value>", "get map <acl> <value>", "get var <name>", "get weight <bk>/<srv>",
  "new ssl ca-file <cafile>", "new ssl cert <certfile>", "new ssl crlfile <crlfile>", "operator", "prepare acl <acl>", "prepare map <acl>",
  "set dynamic-cookie-key backend <bk> <k>", "set map <map> [<key>|#<ref>] <value>", "set maxconn frontend <frontend> <value>",
  "set maxconn global <value>", "set maxconn server <bk>/<srv>", "set profiling <what> {auto|on|off}", "set rate-limit <setting> <value>",
  "set server <bk>/<srv> [opts]", "set severity-output [none|number|string]", "set ssl ca-file <cafile> <payload>", "set ssl cert <certfile> <payload>",
  "set ssl crl-file <crlfile> <payload>", "set ssl ocsp-response <resp|payload>", "set ssl tls-key [id|file] <key>", "set table <table> key <k> [data.* <v>]*",
  "set timeout [cli] <delay>", "set weight <bk>/<srv>  (DEPRECATED)", "show acl [@<ver>] <acl>]", "show activity", "show backend", "show cache",
  "show cli level", "show cli sockets", "show env [var]", "show errors [<px>] [request|response]", "show events [<sink>] [-w] [-n]", "show fd [num]",
  "show info [desc|json|typed|float]*", "show libs", "show map [@ver] [map]", "show peers [dict|-] [section]", "show pools",
  "show profiling [<what>|<#lines>|byaddr]*", "show resolvers [id]", "show schema json", "show servers conn [<backend>]",
  "show servers state [<backend>]", "show sess [id]", "show ssl ca-file [<cafile>[:<index>]]", "show ssl cert [<certfile>]",
  "show ssl crl-file [<crlfile[:<index>>]]", "show ssl crt-list [-n] [<list>]", "show ssl ocsp-response [id]", "show ssl providers",
  "show startup-logs", "show stat [desc|json|no-maint|typed|up]*", "show table <table> [<filter>]*", "show tasks", "show threads",
  "show tls-keys [id|*]", "show trace [<module>]", "show version", "shutdown frontend <frontend>", "shutdown session [id]",
  "shutdown sessions server <bk>/<srv>", "trace [<module>|0] [cmd [args...]]", "user",
].map((usage) => ({ usage, help: "", words: usage.split(" ").filter((w) => w !== "" && !/^[<[({@]/.test(w)).filter((_, i, all) => !all.slice(0, i).some((w) => /^[<[({@]/.test(w))) }));

/** The usage column of a help text's lines. */
function usages(text: string): string[] {
  return text.split("\n").slice(1).filter((l) => l !== "").map((l) => l.slice(2, 42).trimEnd());
}

describe("help and unknown commands, as HAProxy 2.6 words them", () => {
  test("an unknown command gets at most five close commands (HAProxy's letter-pair distance), help, prompt and quit", () => {
    const foo = unknownText(HAPROXY_USAGES, ["foo", "bar"]);
    expect(foo.split("\n")[0]).toBe("Unknown command, but maybe one of the following ones is a better match:");
    // At most five proposals, then help, prompt and quit.
    expect(usages(foo).length).toBe(8);
    // After the known word "show", only "show" commands are proposed; the closest ("fd", "info" share letter pairs with "foo") among them.
    const show = usages(unknownText(HAPROXY_USAGES, ["show", "foo"]));
    expect(show.slice(0, -3).every((u) => u.startsWith("show "))).toBe(true);
    expect(show).toContain("show fd [num]");
    expect(show).toContain("show info [desc|json|typed|float]*");
    expect(show.slice(-3)).toEqual(["help [<command>]", "prompt", "quit"]);
  });

  test("known words alone list every command they begin; nothing at all lists every command", () => {
    const show = usages(unknownText(HAPROXY_USAGES, ["show"]));
    expect(show.filter((u) => u.startsWith("show")).length).toBe(HAPROXY_USAGES.filter((c) => c.words[0] === "show").length);
    expect(unknownText(HAPROXY_USAGES, []).split("\n")[0]).toBe("Unknown command. Please enter one of the following commands only:");
    expect(usages(helpText(HAPROXY_USAGES, ["show", "servers"]))).toEqual(["show servers conn [<backend>]", "show servers state [<backend>]", "help [<command>]", "prompt", "quit"]);
  });

  test("lines are HAProxy's: two spaces, the usage padded to 40, ': ', the help", () => {
    expect(helpText([{ words: ["get", "weight"], usage: "get weight <bk>/<srv>", help: "report a server's current weight" }], []))
      .toBe("The following commands are valid at this level:\n" +
        "  get weight <bk>/<srv>                   : report a server's current weight\n" +
        "  help [<command>]                        : list matching or all commands\n" +
        "  prompt                                  : toggle interactive mode with prompt\n" +
        "  quit                                    : disconnect\n");
  });
});

/** A table of two commands, echoing what they were given. */
function echoTable(): CommandTable<null> {
  return new CommandTable<null>([
    { words: ["echo"], usage: "echo <words>", help: "say it back", level: "user", run: (c) => `${c.args.join(" ")}|${c.payload ?? ""}\n` },
    { words: ["secret"], usage: "secret", help: "admins only", level: "admin", run: () => "42\n" },
  ]);
}

function connect(level: "user" | "admin" = "admin") {
  const clock = new VirtualClock();
  const socket = new MemSocket("127.0.0.1", 40000, true);
  let closed = 0;
  const conn = new CliConnection(socket, {
    level,
    table: echoTable(),
    ctx: null,
    timers: clock,
    timeoutMs: 10000,
    closed: () => closed++,
  });
  socket.events = conn;
  const send = (text: string) => conn.data(new TextEncoder().encode(text));
  return { clock, socket, conn, send, closed: () => closed };
}

describe("a runtime API connection", () => {
  test("non-interactive: each answer then an empty line, and the connection ends after the lines received", () => {
    const c = connect();
    c.send("echo a b; echo c\n");
    expect(c.socket.text()).toBe("a b|\n\nc|\n\n");
    expect(c.socket.ended).toBe(true);
  });

  test("a level too low gets HAProxy's 'Permission denied'", () => {
    const c = connect("user");
    c.send("secret\n");
    expect(c.socket.text()).toBe("Permission denied\n\n");
  });

  test("prompt: '> ' after each line, open until quit", () => {
    const c = connect();
    c.send("prompt\n");
    c.send("echo x\n");
    expect(c.socket.text()).toBe("\n> x|\n\n> ");
    expect(c.socket.ended).toBe(false);
    c.send("quit\n");
    expect(c.socket.closed).toBe(true);
  });

  test("a payload after '<<' runs to the empty line and goes to the command", () => {
    const c = connect();
    c.send("echo k <<\nline one\n");
    expect(c.socket.text()).toBe("");
    c.send("line two\n\n");
    expect(c.socket.text()).toBe("k|line one\nline two\n\n\n");
    expect(c.socket.ended).toBe(true);
  });

  test("a last line without its newline is answered when the client ends its side", () => {
    const c = connect();
    c.send("echo tail");
    expect(c.socket.text()).toBe("");
    c.conn.end();
    expect(c.socket.text()).toBe("tail|\n\n");
  });

  test("a line longer than MAX_LINE closes the connection", () => {
    const c = connect();
    c.send("x".repeat(MAX_LINE + 1));
    expect(c.socket.closed).toBe(true);
    expect(c.closed()).toBe(1);
  });

  test("an idle connection is closed at 'stats timeout'", async () => {
    const c = connect();
    c.send("prompt\n");
    await c.clock.advance(9999);
    expect(c.socket.closed).toBe(false);
    await c.clock.advance(1);
    expect(c.socket.closed).toBe(true);
    expect(c.closed()).toBe(1);
  });
});

describe("answers still to come (a master's commands wait for their workers)", () => {
  function laterConnect() {
    const wakes: ((text: string) => void)[] = [];
    const ran: string[] = [];
    const table = new CommandTable<null, string | Promise<string>>([
      { words: ["later"], usage: "later", help: "answers when woken", level: "user", run: (c) => {
        ran.push(`later ${c.args.join(" ")}`);
        return new Promise<string>((resolve) => wakes.push(resolve));
      } },
      { words: ["now"], usage: "now", help: "answers at once", level: "user", run: (c) => {
        ran.push(`now ${c.args.join(" ")}`);
        return `now ${c.args.join(" ")}\n`;
      } },
    ]);
    const socket = new MemSocket("127.0.0.1", 40000, true);
    const conn = new CliConnection(socket, { level: "admin", table, ctx: null, timers: new VirtualClock(), timeoutMs: 10000, closed: () => {} });
    socket.events = conn;
    const send = (text: string) => conn.data(new TextEncoder().encode(text));
    return { socket, send, wakes, ran };
  }

  test("the commands after one still waiting run after it, their answers in order, then the connection ends", async () => {
    const c = laterConnect();
    c.send("later a; now b\nnow c\n");
    expect(c.ran).toEqual(["later a"]);
    expect(c.socket.text()).toBe("");
    expect(c.socket.ended).toBe(false);
    c.wakes[0]!("A\n");
    await new Promise((r) => setTimeout(r, 0));
    expect(c.ran).toEqual(["later a", "now b", "now c"]);
    expect(c.socket.text()).toBe("A\n\nnow b\n\nnow c\n\n");
    expect(c.socket.ended).toBe(true);
  });

  test("interactive: the prompt follows the late answer", async () => {
    const c = laterConnect();
    c.send("prompt\n");
    c.send("later x\n");
    expect(c.socket.text()).toBe("\n> ");
    c.wakes[0]!("X\n");
    await new Promise((r) => setTimeout(r, 0));
    expect(c.socket.text()).toBe("\n> X\n\n> ");
    expect(c.socket.ended).toBe(false);
  });
});
