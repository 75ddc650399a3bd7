// The runtime API over its real UNIX socket, as an operator's scripts reach
// it: `echo COMMAND | socat -t 2 stdio UNIX-CONNECT:path`, bounded.

/** What the runtime API at `path` answered to `input` (a newline is added when it has none). */
export async function socat(path: string, input: string): Promise<string> {
  const proc = Bun.spawn(["socat", "-t", "2", "stdio", `UNIX-CONNECT:${path}`], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  proc.stdin.write(input.endsWith("\n") ? input : `${input}\n`);
  await proc.stdin.end();
  const timer = setTimeout(() => proc.kill(), 5000);
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  clearTimeout(timer);
  return out;
}
