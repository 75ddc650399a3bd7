// The runtime API over its real UNIX socket, as an operator's scripts reach
// it: `echo COMMAND | socat -t 2 stdio UNIX-CONNECT:path`, bounded.
import net from "node:net";

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

/** What the runtime API at `path` answered to one command line, read from its UNIX socket until it closes (bounded: 5 s). */
export function ask(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let out = "";
    s.setEncoding("utf8");
    s.on("data", (d: string) => (out += d));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error(`no answer to ${line}`));
    });
    s.end(`${line}\n`);
  });
}
