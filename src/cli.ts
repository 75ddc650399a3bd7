// Command-line parsing, in one module so that the parser can be swapped in one
// place (the design names @std/cli; node:util's parseArgs is what both runtimes
// ship, and JSR is out of reach).
import { parseArgs } from "node:util";
import { parseDuration } from "./config/duration.ts";

export type Command =
  | { kind: "run"; files: string[]; strictOwnership: boolean; masterWorker: boolean; daemon?: true; pidfile?: string; localPeer?: string }
  | { kind: "check"; files: string[]; localPeer?: string }
  | { kind: "demo" }
  | { kind: "version"; long: boolean }
  | { kind: "probe"; url: string; timeoutMs: number }
  | { kind: "help"; topic?: string }
  | { kind: "usage-error"; message: string; topic?: string };

const COMMANDS = ["run", "check", "demo", "version", "help", "probe"] as const;
type CommandName = (typeof COMMANDS)[number];

const USAGE: Record<CommandName | "main", string> = {
  main: `Usage: sluice [COMMAND] [OPTIONS]

An edge reverse proxy and load balancer.

Commands:
  run -f CONFIG...    run the proxy (the default when -f is given)
  check -f CONFIG...  validate the configuration, print every error, exit 0 or 1
  demo                run a built-in demo: three backends behind 127.0.0.1:8080
  version             print the version
  probe URL           GET URL: exit 0 on 2xx or 3xx, else 1 (a HEALTHCHECK without curl)
  help [COMMAND]      print help for a command

Options:
  -f, --config FILE   configuration file (.cfg haproxy syntax, .yaml, .yml, .json);
                      several -f merge in order
  -c, --check         same as the check command (as in HAProxy)
  -W, --master-worker a master process starts the workers (global workers N|auto,
                      default one per core), reloads on SIGUSR2/SIGHUP, stops on SIGTERM
  -D, --daemon        detach into the background once serving (global daemon)
  -p, --pidfile FILE  write the pid there in daemon or master-worker mode (global pidfile)
  -L NAME             this process's name in peers sections (global localpeer; default: the host name)
  --strict-ownership  stop on a backend-connection ownership violation (a bug)
                      instead of logging it and closing that connection (tests)
  -v, --version       print the version (-vv: with the build and what is built in)
  -h, --help          print this help

With no command and no -f, sluice runs the demo.`,
  run: `Usage: sluice run -f CONFIG [-f CONFIG...] [-W] [-D] [-p PIDFILE] [--strict-ownership]

Runs the proxy. SIGTERM or SIGINT stops accepting, lets open connections
finish for up to hard-stop-after (default 30s), then exits 0.
-W (or global master-worker, or workers N > 1) runs a master that starts the
worker processes (workers N|auto), restarts one that dies, reloads the
configuration on SIGUSR2 or SIGHUP without refusing a connection, and stops
them all gracefully on SIGTERM or SIGINT (docs/master-worker.md).
-D (or global daemon) detaches once serving; -p (or global pidfile) names
the file that gets the daemon's or the master's pid (docs/configuration.md).
--strict-ownership makes an ownership violation (a backend connection
attached to a session while another owns it: a bug) throw and stop the
process, rather than being logged, counted and its connection closed.`,
  check: `Usage: sluice check -f CONFIG [-f CONFIG...]   (or: sluice -c -f CONFIG)

Validates the configuration. Prints every error as FILE:LINE: CONTEXT: MESSAGE
and exits 1 if there is any, else prints "Configuration file is valid" and exits 0.`,
  demo: `Usage: sluice demo

Starts three demo backends on loopback and a TCP frontend on 127.0.0.1:8080
that balances across them. Try: curl localhost:8080 (a few times).`,
  version: `Usage: sluice version [-v]   (or: sluice -v, sluice --version; sluice -vv)

Prints the version of sluice, its git commit and the runtime it runs on.
With -v (sluice version -v, or sluice -vv), the long form, as HAProxy's -vv:
the build date and target, the runtime and system it runs on, and what is
built in (features, TLS versions, protocols, balancing algorithms).`,
  probe: `Usage: sluice probe [--timeout TIME] URL

Sends GET URL (http or https; https verified against the runtime's CA roots)
and exits 0 when the answer is 2xx or 3xx (redirects are not followed), else
prints one line saying why on stderr and exits 1: a container HEALTHCHECK in an
image without curl. --timeout bounds the whole exchange (default 5s; a time as
in the configuration: 500ms, 2s).`,
  help: `Usage: sluice help [COMMAND]

Prints help for sluice or for one of its commands: ${COMMANDS.join(", ")}.`,
};

export function usage(topic?: string): string {
  return topic !== undefined && topic in USAGE ? USAGE[topic as CommandName] : USAGE.main;
}

function isCommand(word: string): word is CommandName {
  return (COMMANDS as readonly string[]).includes(word);
}

/** Parses the arguments after the program name. Pure: never prints or exits. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: "string", short: "f", multiple: true },
        check: { type: "boolean", short: "c" },
        version: { type: "boolean", short: "v", multiple: true },
        help: { type: "boolean", short: "h" },
        "strict-ownership": { type: "boolean" },
        "master-worker": { type: "boolean", short: "W" },
        timeout: { type: "string" },
        daemon: { type: "boolean", short: "D" },
        pidfile: { type: "string", short: "p" },
        localpeer: { type: "string", short: "L" },
      },
    });
  } catch (error) {
    return { kind: "usage-error", message: (error as Error).message.split("\n")[0]! };
  }
  const { values, positionals } = parsed;
  const files = values.config ?? [];
  const [first, ...rest] = positionals;
  if (first !== undefined && !isCommand(first)) {
    return { kind: "usage-error", message: `unknown command '${first}'` };
  }
  const name: CommandName | undefined = first;
  if (values.help) return { kind: "help", topic: name };
  if (name === "help") {
    if (rest.length > 1) return { kind: "usage-error", message: "help takes at most one command", topic: "help" };
    const topic = rest[0];
    if (topic !== undefined && !isCommand(topic)) {
      return { kind: "usage-error", message: `unknown command '${topic}'`, topic: "help" };
    }
    return { kind: "help", topic };
  }
  if (name === "probe") return probeCommand(rest, values.timeout, files.length > 0);
  if (values.timeout !== undefined) return { kind: "usage-error", message: "--timeout goes with probe", topic: name };
  if (rest.length > 0) {
    return { kind: "usage-error", message: `unexpected argument '${rest[0]}'`, topic: name };
  }
  // -v: the short line, -vv (or `version -v`): the long form, as HAProxy counts them.
  const vs = (values.version?.length ?? 0) + (name === "version" ? 1 : 0);
  if (vs > 0) return { kind: "version", long: vs > 1 };
  const wantsCheck = values.check === true || name === "check";
  if (wantsCheck && name !== undefined && name !== "check") {
    return { kind: "usage-error", message: `-c cannot be combined with '${name}'`, topic: name };
  }
  if (name === "demo") {
    if (files.length > 0) return { kind: "usage-error", message: "demo takes no -f", topic: "demo" };
    return { kind: "demo" };
  }
  const localPeer = values.localpeer;
  if (localPeer !== undefined && files.length === 0) return { kind: "usage-error", message: "-L goes with run or check -f CONFIG", topic: name };
  if (wantsCheck) {
    if (files.length === 0) return { kind: "usage-error", message: "check needs -f CONFIG", topic: "check" };
    return { kind: "check", files, ...(localPeer === undefined ? {} : { localPeer }) };
  }
  if (name === "run" && files.length === 0) {
    return { kind: "usage-error", message: "run needs -f CONFIG", topic: "run" };
  }
  const strictOwnership = values["strict-ownership"] === true;
  if (strictOwnership && files.length === 0) {
    return { kind: "usage-error", message: "--strict-ownership goes with run -f CONFIG", topic: "run" };
  }
  const masterWorker = values["master-worker"] === true;
  if (masterWorker && files.length === 0) {
    return { kind: "usage-error", message: "-W goes with run -f CONFIG", topic: "run" };
  }
  const daemon = values.daemon === true;
  const pidfile = values.pidfile;
  if ((daemon || pidfile !== undefined) && files.length === 0) {
    return { kind: "usage-error", message: `${daemon ? "-D" : "-p"} goes with run -f CONFIG`, topic: "run" };
  }
  if (files.length === 0) return { kind: "demo" };
  return {
    kind: "run",
    files,
    strictOwnership,
    masterWorker,
    ...(daemon ? { daemon } : {}),
    ...(pidfile === undefined ? {} : { pidfile }),
    ...(localPeer === undefined ? {} : { localPeer }),
  };
}

const PROBE_TIMEOUT_MS = 5000;

function probeCommand(args: string[], timeout: string | undefined, withConfig: boolean): Command {
  if (withConfig) return { kind: "usage-error", message: "probe takes no -f", topic: "probe" };
  if (args.length !== 1) return { kind: "usage-error", message: "probe takes one URL", topic: "probe" };
  const url = args[0]!;
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    return { kind: "usage-error", message: `'${url}' is not an http:// or https:// URL`, topic: "probe" };
  }
  let timeoutMs = PROBE_TIMEOUT_MS;
  if (timeout !== undefined) {
    const parsed = parseDuration(timeout);
    if (!parsed.ok || parsed.ms === 0) return { kind: "usage-error", message: `--timeout: ${parsed.ok ? "must be above 0" : parsed.error}`, topic: "probe" };
    timeoutMs = parsed.ms;
  }
  return { kind: "probe", url, timeoutMs };
}
