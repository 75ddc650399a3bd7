// `agent-check` beside HAProxy 2.6 on the same haproxy.cfg: an agent on
// loopback answers what each step sets (a weight, drain, ready, maint,
// maxconn, fail, up, stopped, words it does not know), and what each proxy
// then shows (`show stat`: status, weight, agent_status, agent_code,
// agent_desc, agent_health; `show servers state`: the admin state) and logs
// ("Server b/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: "via
// agent : fail", …") is compared step by step. The agent gets agent-send.
import { afterAll, describe, expect, test } from "bun:test";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { freePort, sleep, tempDir, waitFor } from "./harness.ts";
import { expectSameAsHaproxy, proxiesUnderTest, type RunningProxy } from "./reference-proxy.ts";
import { ask } from "./runtime-socket.ts";

let reply = "75%";
/** The agent ends its line: HAProxy waits for the line's end (an agent that closes without it is not compared here). */
const ending = "\n";
let asked = 0;
const received: string[] = [];
const agent = net.createServer((socket) => {
  asked++;
  const answer = reply;
  socket.on("data", (d) => received.push(d.toString("latin1")));
  socket.on("error", () => {});
  const end = ending;
  setTimeout(() => socket.end(`${answer}${end}`), 5);
});
const app = http.createServer((_req, res) => res.end("app"));
afterAll(() => {
  agent.close();
  app.close();
});

function lines(running: RunningProxy, from: number): string[] {
  return running
    .errLines()
    .slice(from)
    .filter((l) => l.startsWith("Server "))
    .map((l) => l.replace(/check duration: \d+ms/, "check duration: Nms"));
}

async function look(socket: string): Promise<string> {
  const header = (await ask(socket, "show stat")).split("\n");
  const names = header[0]!.replace(/^# /, "").split(",");
  const row = header.find((l) => l.startsWith("b,s1,"))!.split(",");
  // A check in progress ("* ") depends on the moment asked: left out.
  const col = (n: string) => (row[names.indexOf(n)] ?? "?").replace(/^\* /, "");
  const state = (await ask(socket, "show servers state b")).split("\n").find((l) => l.startsWith("3 b 1 s1") || / b 1 s1 /.test(l)) ?? "";
  const admin = state.split(" ")[6];
  return ["status", "weight", "agent_status", "agent_code", "agent_desc", "agent_health"].map((n) => `${n}=${col(n)}`).join(" ") + ` admin=${admin}`;
}

describe("agent-check against HAProxy 2.6", () => {
  const answers = new Map<string, unknown>();
  for (const proxy of proxiesUnderTest()) {
    test(`${proxy.name}: what the agent says, step by step`, async () => {
      for (const s of [agent, app]) if (!s.listening) await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      reply = "75%";
      const port = await freePort();
      const socket = join(tempDir(), "stats.sock");
      const running = await proxy.start(`
global
    stats socket ${socket} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    log stderr format raw local0
    option dontlognull
frontend f
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server s1 127.0.0.1:${(app.address() as net.AddressInfo).port} weight 20 check inter 200ms agent-check agent-port ${(agent.address() as net.AddressInfo).port} agent-inter 150ms agent-send "hello\\n"
`, [port]);
      try {
        const steps: Record<string, unknown> = {};
        let mark = running.errLines().length;
        // Each step: the agent's new answer, asked twice (the second surely answered with it), then what shows.
        const say = async (text: string) => {
          reply = text;
          const from = asked;
          await waitFor(() => asked >= from + 2, 5000, `the agent asked after '${text}'`);
          await sleep(80);
          const logged = lines(running, mark);
          mark = running.errLines().length;
          steps[text] = { shown: await look(socket), logged };
        };
        for (const text of ["75%", "drain", "ready", "maxconn:30 50%", "maint", "ready", "fail", "up 100%", "garbage", "stopped", "up"]) await say(text);
        received.splice(0, received.length - 1);
        const sent = received[0];
        // The runtime API: the agent stopped and started, its verdict forced, its settings changed.
        const cli: Record<string, unknown> = {};
        const run = async (command: string) => {
          const answer = await ask(socket, command);
          await sleep(50);
          const logged = lines(running, mark);
          mark = running.errLines().length;
          cli[`${Object.keys(cli).length + 1}. ${command}`] = { answer, shown: await look(socket), logged };
        };
        await run("disable agent b/s1");
        await run("set server b/s1 agent down");
        await run("enable agent b/s1");
        reply = "up";
        await run("set server b/s1 agent down");
        await run("set server b/s1 agent up");
        await run("set server b/s1 agent sideways");
        await run("enable agent b/zz");
        await run("set server b/s1 agent-addr nowhere");
        await run("set server b/s1 agent-port x");
        received.length = 0;
        await run("set server b/s1 agent-send bye");
        const from = asked;
        await waitFor(() => asked >= from + 2, 5000, "the agent asked with the new agent-send");
        await sleep(50);
        const seen = { steps, sent, cli, sentAfter: received[received.length - 1] };
        expect(seen.sent).toBe("hello\n");
        expect((steps.fail as { shown: string }).shown).toContain("status=DOWN (agent)");
        if (process.env.DEBUG_AGENT) console.log(JSON.stringify(seen, null, 1));
        expectSameAsHaproxy(answers, proxy.name, seen);
      } finally {
        await running.stop();
      }
    }, 60000);
  }
});
