// Every runtime API command against an in-memory proxy (tests/support/
// mem-runtime.ts): answers in HAProxy 2.6's words and shapes (as the real
// haproxy answered them here through socat), and their effects on servers,
// balancing, pools, stick tables, maps and sessions.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NO_SERVERS } from "../../../src/backend/backend.ts";
import type { ControlLevel } from "../../../src/config/types.ts";
import { commandTable, controlContext } from "../../../src/control/sockets.ts";
import { strtoulBase0 } from "../../../src/control/session-commands.ts";
import type { StatsText } from "../../../src/control/commands.ts";
import { memProxyConfig, memRuntime, MemSocket } from "../../support/mem-runtime.ts";
import { TestPki } from "../../support/certs.ts";

const dir = mkdtempSync(join(tmpdir(), "sluice-control-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mapFile = join(dir, "hosts.map");
writeFileSync(mapFile, "a.example be_a\n# comment\nb.example be\n");
const intMap = join(dir, "ints.map");
writeFileSync(intMap, "k 1\n");

const CONFIG = `defaults
    mode http
    no log
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:9200
    http-request set-header x-n %[req.hdr(x-k),map_str_int(${intMap},0)]
    use_backend %[req.hdr(host),map(${mapFile},be)]
    default_backend be
backend be
    stick-table type ip size 100 expire 30s store gpc0,http_req_rate(10s)
    server s1 127.0.0.1:9101 weight 10
    server s2 127.0.0.1:9102 weight 20 check inter 1s
    server s3 127.0.0.1:9103 disabled
backend be_a
    balance source
    server a 127.0.0.1:9104
`;

async function setup(stats?: StatsText) {
  const runtime = memRuntime();
  const proxy = await memProxyConfig(runtime, CONFIG);
  const ctx = controlContext(proxy, stats);
  const table = commandTable();
  // Every command answers at once but `enable frontend` (it listens again first): `ask` awaits it.
  const run = (line: string, level: ControlLevel = "admin", payload?: string) => table.run(line.split(" ").filter((w) => w !== ""), payload, level, ctx) as string;
  const ask = (line: string, level: ControlLevel = "admin") => Promise.resolve(table.run(line.split(" ").filter((w) => w !== ""), undefined, level, ctx));
  const server = (b: string, s: string) => proxy.backends.get(b)!.servers.find((x) => x.name === s)!;
  return { runtime, proxy, ctx, run, ask, server };
}

describe("levels", () => {
  test("a user-level socket is refused admin commands with HAProxy's 'Permission denied'", async () => {
    const t = await setup();
    expect(t.run("disable server be/s1", "user")).toBe("Permission denied\n");
    expect(t.run("set server be/s1 weight 5", "operator")).toBe("Permission denied\n");
    expect(t.run("get weight be/s1", "user")).toBe("10 (initial 10)\n");
    expect(t.run("show sess", "user")).toBe("Permission denied\n");
    expect(t.run("add map #0 x y", "user")).toBe("Permission denied\n");
  });

  test("help lists every command (HAProxy lists them whatever the level)", async () => {
    const t = await setup();
    const help = t.run("help", "user");
    expect(help.split("\n")[0]).toBe("The following commands are valid at this level:");
    for (const c of commandTable().commands) expect(help).toContain(`  ${c.usage}`);
  });
});

describe("servers", () => {
  test("get weight, set weight N and N% (relative to the configured one), with HAProxy's refusals", async () => {
    const t = await setup();
    expect(t.run("set server be/s1 weight 50%")).toBe("");
    expect(t.run("get weight be/s1")).toBe("5 (initial 10)\n");
    expect(t.server("be", "s1").weight).toBe(5);
    expect(t.run("set weight be/s1 7")).toBe("");
    expect(t.run("get weight be/s1")).toBe("7 (initial 10)\n");
    expect(t.run("set server be/s1 weight 300")).toBe("Absolute weight can only be between 0 and 256 inclusive.\n");
    expect(t.run("set server be/s1 weight x")).toBe("Empty weight string empty or preceded by garbage\n");
    expect(t.run("set server be/s1 weight 5x")).toBe("Trailing garbage in weight string\n");
    expect(t.run("set server be/s1 weight -5%")).toBe("Relative weight must be positive.\n");
    expect(t.run("set server be/s1 weight")).toBe("Require <weight> or <weight%>.\n");
    expect(t.run("set server be/zz weight 3")).toBe("No such server.\n");
    expect(t.run("set server zz/s1 weight 3")).toBe("No such backend.\n");
    expect(t.run("get weight be")).toBe("Require 'backend/server'.\n");
    // balance source, map-based hashing: a static algorithm takes 0 or the configured weight only.
    expect(t.run("set server be_a/a weight 5")).toBe("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n");
    expect(t.run("set server be_a/a weight 0")).toBe("");
    expect(t.server("be_a", "a").usable).toBe(false);
  });

  test("weight changes reach the balancer: weight 0 takes no new load-balanced stream, a doubled weight a doubled share", async () => {
    const t = await setup();
    const be = t.proxy.backends.get("be")!;
    const picks = (n: number) => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const s = be.take(NO_SERVERS);
        if (typeof s === "string") throw new Error(s);
        seen[s.name] = (seen[s.name] ?? 0) + 1;
        be.release(s);
      }
      return seen;
    };
    expect(picks(30)).toEqual({ s1: 10, s2: 20 });
    t.run("set server be/s2 weight 0");
    expect(picks(10)).toEqual({ s1: 10 });
    t.run("set server be/s2 weight 40");
    expect(picks(50)).toEqual({ s1: 10, s2: 40 });
  });

  test("drain: no new load-balanced stream, but a stream naming it (persistence) still gets it; ready again takes traffic", async () => {
    const t = await setup();
    const be = t.proxy.backends.get("be")!;
    const s2 = t.server("be", "s2");
    expect(t.run("set server be/s2 state drain")).toBe("");
    expect(s2.state.admin).toBe("DRAIN");
    for (let i = 0; i < 5; i++) {
      const s = be.take(NO_SERVERS);
      expect(s).toBe(t.server("be", "s1"));
      be.release(t.server("be", "s1"));
    }
    expect(be.takeServer(s2)).toBe(true);
    be.release(s2);
    expect(t.run("set server be/s2 state ready")).toBe("");
    expect(s2.usable).toBe(true);
  });

  test("maint: no traffic at all, idle pooled connections closed, those in use retired; enable server brings it back UP", async () => {
    const t = await setup();
    const s1 = t.server("be", "s1");
    expect(t.run("disable server be/s1")).toBe("");
    expect(s1.state.admin).toBe("MAINT");
    expect(s1.running).toBe(false);
    expect(t.proxy.backends.get("be")!.takeServer(s1)).toBe(false);
    expect(t.run("enable server be/s1")).toBe("");
    expect(s1.state.admin).toBe("READY");
    expect(s1.usable).toBe(true);
    expect(t.run("set server be/s1 state maint")).toBe("");
    expect(t.run("set server be/s1 state ready")).toBe("");
    expect(t.run("set server be/s1 state foo")).toBe("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
    expect(t.run("set server be/s1 foo")).toBe("usage: set server <backend>/<server> addr | health | state | weight\n");
  });

  test("addr: new connections go to the new address, and HAProxy's report of the change", async () => {
    const t = await setup();
    const s1 = t.server("be", "s1");
    expect(t.run("set server be/s1 addr 127.0.0.2 port 9105")).toBe("IP changed from '127.0.0.1' to '127.0.0.2', port changed from '9101' to '9105' by 'stats socket command'\n");
    expect([s1.address, s1.port]).toEqual(["127.0.0.2", 9105]);
    expect(t.run("set server be/s1 addr 127.0.0.2")).toBe("no need to change the addr by 'stats socket command'\n");
    expect(t.run("set server be/s1 addr foo")).toBe("Invalid addr 'foo' by 'stats socket command'\n");
    expect(t.run("set server be/s1 addr")).toBe("set server <b>/<s> addr requires an address and optionally a port.\n");
  });

  test("health: disable health makes a checked server count as UP; set server health down/up forces it", async () => {
    const t = await setup();
    const s2 = t.server("be", "s2");
    expect(t.run("set server be/s2 health down")).toBe("");
    expect(s2.state.op).toBe("DOWN");
    expect(t.run("disable health be/s2")).toBe("");
    expect(s2.state.checksPaused).toBe(true);
    expect(s2.state.op).toBe("UP");
    expect(t.run("enable health be/s2")).toBe("");
    expect(s2.state.checksPaused).toBe(false);
    expect(t.run("disable health be/s1")).toBe("");
    expect(t.run("enable health be/s1")).toBe("Health check was not configured on this server, cannot enable.\n");
  });

  test("show servers state: version 1, HAProxy's columns, admin and op states as numbers", async () => {
    const t = await setup();
    t.run("set server be/s1 state drain");
    t.run("set server be/s1 weight 5");
    const lines = t.run("show servers state be").split("\n");
    expect(lines[0]).toBe("1");
    expect(lines[1]).toBe("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port");
    expect(lines[2]).toBe("2 be 1 s1 127.0.0.1 2 8 5 10 0 1 0 0 0 0 0 0 - 9101 - 0 0 - - 0");
    expect(lines[3]!.split(" ").slice(0, 9)).toEqual(["2", "be", "2", "s2", "127.0.0.1", "2", "0", "20", "20"]);
    // `disabled` in the configuration: FMAINT|CMAINT (5), stopped.
    expect(lines[4]!.split(" ").slice(3, 7)).toEqual(["s3", "127.0.0.1", "0", "5"]);
    // srv_check_state (column 14): a checked server 6 (configured, enabled); `disable health` clears enabled only (2,
    // as HAProxy: paused, 8, is maintenance's), and maintenance adds paused.
    const checkState = () => t.run("show servers state be").split("\n")[3]!.split(" ")[13];
    expect(checkState()).toBe("6");
    t.run("disable health be/s2");
    expect(checkState()).toBe("2");
    t.run("enable health be/s2");
    t.run("set server be/s2 state maint");
    expect(checkState()).toBe("14");
    t.run("set server be/s2 state ready");
    expect(t.run("show servers state nope")).toBe("Can't find backend.\n");
    expect(t.run("show servers state").split("\n").filter((l) => /^\d+ /.test(l)).length).toBe(4);
  });
});

describe("stick tables", () => {
  async function withEntries() {
    const t = await setup();
    const table = t.proxy.stickTables!.store.table("be")!;
    const now = t.proxy.clock.tick();
    table.track("10.0.0.1", now)!.add("gpc0", now, 3);
    table.track("10.0.0.2", now)!.add("http_req_rate", now, 2);
    return { ...t, table };
  }

  test("show table: the headers; a table's entries with their counters in HAProxy's order; filters", async () => {
    const t = await withEntries();
    expect(t.run("show table")).toBe("# table: be, type: ip, size:100, used:2\n");
    const all = t.run("show table be").split("\n");
    expect(all[0]).toBe("# table: be, type: ip, size:100, used:2");
    expect(all[1]).toMatch(/^0x[0-9a-f]+: key=10\.0\.0\.1 use=0 exp=30000 gpc0=3 http_req_rate\(10000\)=0$/);
    expect(all[2]).toMatch(/^0x[0-9a-f]+: key=10\.0\.0\.2 use=0 exp=30000 gpc0=0 http_req_rate\(10000\)=2$/);
    expect(t.run("show table be data.gpc0 gt 1").split("\n").length).toBe(3);
    expect(t.run("show table be key 10.0.0.2")).toContain("key=10.0.0.2");
    expect(t.run("show table be key 10.0.0.2")).not.toContain("key=10.0.0.1");
    expect(t.run("show table nope")).toBe("No such table\n");
    expect(t.run("show table be data.foo eq 1")).toBe("Filter entry #1: Unknown data type\n");
    expect(t.run("show table be data.gpc0 xx 1")).toBe('Filter entry #1: Require and operator among "eq", "ne", "le", "ge", "lt", "gt"\n');
    expect(t.run("show table be data.gpc0 eq")).toBe("Filter entry #1: Require a valid integer value to compare against\n");
    expect(t.run("show table be key")).toBe("Key value expected\n");
    expect(t.run("show table be", "user")).toBe("# table: be, type: ip, size:100, used:2\n# contents not dumped due to insufficient privileges\n");
  });

  test("clear table: one key, a filter, or all; operator level", async () => {
    const t = await withEntries();
    expect(t.run("clear table be key 10.0.0.1", "user")).toBe("Permission denied\n");
    expect(t.run("clear table be key 10.0.0.1", "operator")).toBe("");
    expect(t.table.size).toBe(1);
    expect(t.run("clear table be data.http_req_rate ge 1")).toBe("");
    expect(t.table.size).toBe(0);
    expect(t.run("clear table")).toBe('Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>\n');
    expect(t.run("clear table nope")).toBe("No such table\n");
  });
});

describe("maps", () => {
  test("show map lists the files (by the name written), a map's entries with their refs", async () => {
    const t = await setup();
    const list = t.run("show map").split("\n");
    expect(list[0]).toBe("# id (file) description");
    // Ids in the configuration's order, each reader named by its line, as HAProxy: the http-request line's map first.
    expect(list[1]).toBe(`0 (${intMap}) pattern loaded from file '${intMap}' used by map at file 'mem.cfg' line 9. curr_ver=0 next_ver=0 entry_cnt=1`);
    expect(list[2]).toBe(`1 (${mapFile}) pattern loaded from file '${mapFile}' used by map at file 'mem.cfg' line 10. curr_ver=0 next_ver=0 entry_cnt=2`);
    expect(t.run(`show map ${mapFile}`)).toMatch(/^0x[0-9a-f]+ a\.example be_a\n0x[0-9a-f]+ b\.example be\n$/);
    expect(t.run("show map #1")).toBe(t.run(`show map ${mapFile}`));
    expect(t.run("show map nope")).toBe("Unknown map identifier. Please use #<id> or <file>.\n");
  });

  test("add, set, del, clear change what the converter answers on the next lookup", async () => {
    const t = await setup();
    const map = t.proxy.config.maps!.find(mapFile)!;
    expect(t.run(`add map ${mapFile} c.example be_a`)).toBe("");
    expect(map.entries.map((e) => e.key)).toEqual(["a.example", "b.example", "c.example"]);
    expect(t.run(`add map ${mapFile}`, "admin", "d.example be\ne.example be_a\n")).toBe("");
    expect(map.entries.length).toBe(5);
    expect(t.run(`set map ${mapFile} a.example be`)).toBe("");
    expect(map.select("a.example")[0]!.value).toBe("be");
    const ref = `#0x${map.select("b.example")[0]!.id.toString(16)}`;
    expect(t.run(`set map ${mapFile} ${ref} be_a`)).toBe("");
    expect(t.run(`del map ${mapFile} c.example`)).toBe("");
    expect(t.run(`del map ${mapFile} c.example`)).toBe("Key not found.\n");
    expect(t.run(`set map ${mapFile} zz x`)).toBe("entry not found.\n");
    expect(t.run(`add map ${mapFile} k`)).toBe("'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n");
    expect(t.run(`del map ${mapFile}`)).toBe("This command expects two parameters: map identifier and key.\n");
    expect(t.run(`set map ${mapFile} k`)).toBe("'set map' expects three parameters: map identifier, key and value.\n");
    expect(t.run("clear map")).toBe("Missing map identifier.\n");
    expect(t.run(`clear map ${mapFile}`)).toBe("");
    expect(map.entries.length).toBe(0);
  });

  test("a value a converter cannot read is refused, and nothing changes", async () => {
    const t = await setup();
    expect(t.run(`add map ${intMap} k2 notanumber`)).toBe("Failed to add a map entry: value 'notanumber' is not an integer.\n");
    expect(t.run(`set map ${intMap} k x`)).toBe("Failed to update an entry: value 'x' is not an integer.\n");
    expect(t.proxy.config.maps!.find(intMap)!.entries.map((e) => e.value)).toEqual(["1"]);
  });
});

describe("sessions, stats", () => {
  test("show sess: one line per client session: id, frontend, source, age, state", async () => {
    const t = await setup();
    t.runtime.accept(new MemSocket("10.1.2.3", 5555));
    const out = t.run("show sess");
    expect(out).toMatch(/^0x[0-9a-f]+: proto=tcpv4 src=10\.1\.2\.3:5555 fe=fe be=<NONE> srv=<none> ts=00 age=0s state=idle\n$/);
  });

  test("show stat and show info say the stats are not wired, until they are; show stat filters rows by iid, type and sid", async () => {
    const t = await setup();
    expect(t.run("show stat")).toBe("show stat: stats not available\n");
    expect(t.run("show info")).toBe("show info: stats not available\n");
    const csv = "# pxname,svname,iid,sid,type\nfe,FRONTEND,1,0,0\nbe,s1,2,1,2\nbe,s2,2,2,2\nbe,BACKEND,2,0,1\n";
    const w = await setup({ statCsv: () => csv, info: () => [{ name: "Pid", value: 4242 }, { name: "Name", value: "sluice" }] });
    // HAProxy's order, whatever the order given.
    expect(w.run("show info")).toBe("Name: sluice\nPid: 4242\n");
    expect(w.run("show info typed")).toBe("0.Name.1:POS:str:sluice\n6.Pid.1:SGP:u32:4242\n");
    expect(w.run("show stat")).toBe(csv);
    expect(w.run("show stat -1 -1 -1")).toBe(csv);
    expect(w.run("show stat 2 4 -1")).toBe("# pxname,svname,iid,sid,type\nbe,s1,2,1,2\nbe,s2,2,2,2\n");
    expect(w.run("show stat -1 2 -1")).toBe("# pxname,svname,iid,sid,type\nbe,BACKEND,2,0,1\n");
    expect(w.run("show stat 2 4 2")).toBe("# pxname,svname,iid,sid,type\nbe,s2,2,2,2\n");
    expect(w.run("show stat typed")).toBe("show stat typed: not available (the stats give the CSV layout)\n");
  });
});

describe("ssl certificates", () => {
  test("set ssl cert, commit: the bind serves the new certificate; abort drops a transaction; HAProxy's answers", async () => {
    const pki = new TestPki(mkdtempSync(join(dir, "pki-")));
    const a = pki.leaf("a", { names: ["a.test"] });
    const b = pki.leaf("b", { names: ["b.test"] });
    const runtime = memRuntime();
    const proxy = await memProxyConfig(runtime, `defaults
    mode http
    no log
frontend tls
    bind 127.0.0.1:9443 ssl crt ${a.pem}
    default_backend be
backend be
    server s1 127.0.0.1:9101
`);
    const ctx = controlContext(proxy);
    const table = commandTable();
    const run = (line: string, payload?: string) => table.run(line.split(" "), payload, "admin", ctx);
    const { readFileSync } = await import("node:fs");
    const pemB = readFileSync(b.pem, "utf8");
    expect(run(`set ssl cert ${a.pem}`)).toBe("'set ssl cert expects a filename and a certificate as a payload\n");
    expect(run(`set ssl cert ${join(dir, "zz.pem")}`, pemB)).toBe(`Can't replace a certificate which is not referenced by the configuration!\nCan't update ${join(dir, "zz.pem")}!\n`);
    expect(run(`set ssl cert ${a.pem}`, "garbage")).toContain("Can't load the payload\n");
    expect(run(`set ssl cert ${a.pem}`, pemB)).toBe(`Transaction created for certificate ${a.pem}!\n`);
    expect(run(`set ssl cert ${a.pem}`, pemB)).toBe(`Transaction updated for certificate ${a.pem}!\n`);
    expect(run("show ssl cert")).toBe(`# transaction\n*${a.pem}\n# filename\n${a.pem}\n`);
    expect(run(`abort ssl cert ${a.pem}`)).toBe(`Transaction aborted for certificate '${a.pem}'!\n`);
    expect(run(`abort ssl cert ${a.pem}`)).toBe("No ongoing transaction!\n");
    expect(run(`commit ssl cert ${a.pem}`)).toBe(`No ongoing transaction! !\nCan't commit ${a.pem}!\n`);
    run(`set ssl cert ${a.pem}`, pemB);
    expect(run(`commit ssl cert ${a.pem}`)).toBe(`Committing ${a.pem}.\nSuccess!\n`);
    const cert = proxy.frontends[0]!.config.binds[0]!.ssl!.certificates[0]!;
    expect(cert.names).toEqual(["b.test"]);
    expect(cert.file).toBe(a.pem);
  });
});

describe("set maxconn, disable|enable frontend, shutdown, clear counters (HAProxy 2.6.12's answers, measured through socat)", () => {
  test("set maxconn server: strtol's two messages (no blank line after them in HAProxy), the server's limit moves", async () => {
    const t = await setup();
    expect(t.run("set maxconn server")).toBe("Require 'backend/server'.\n");
    expect(t.run("set maxconn server be/s1")).toBe("Require <maxconn>.\n");
    expect(t.run("set maxconn server be/nope 3")).toBe("No such server.\n");
    expect(t.run("set maxconn server nope/s1 3")).toBe("No such backend.\n");
    expect(t.run("set maxconn server be/s1 x")).toBe("maxconn string empty or preceded by garbage");
    expect(t.run("set maxconn server be/s1 3x")).toBe("Trailing garbage in maxconn string");
    expect(t.run("set maxconn server be/s1 7")).toBe("");
    expect(t.server("be", "s1").maxconn).toBe(7);
    // C's long stored in an int: -1 stays -1 (slim 4294967295), a long's overflow clamps then wraps.
    expect(t.run("set maxconn server be/s1 -1")).toBe("");
    expect(t.server("be", "s1").maxconn).toBe(-1);
    t.run("set maxconn server be/s1 99999999999");
    expect(t.server("be", "s1").maxconn).toBe(1215752191);
    expect(t.run("set maxconn server be/s1 5", "operator")).toBe("Permission denied\n");
  });

  test("set maxconn frontend and global: atoi's numbers, HAProxy's range checks", async () => {
    const t = await setup();
    const fe = t.proxy.frontends[0]!;
    expect(t.run("set maxconn frontend")).toBe("A frontend name is expected.\n");
    expect(t.run("set maxconn frontend be 3")).toBe("No such frontend.\n");
    expect(t.run("set maxconn frontend fe")).toBe("Integer value expected.\n");
    expect(t.run("set maxconn frontend fe -1")).toBe("Value out of range.\n");
    expect(t.run("set maxconn frontend fe 3x")).toBe("");
    expect(fe.maxconn).toBe(3);
    expect(t.run("set maxconn frontend fe x")).toBe("");
    expect(fe.maxconn).toBe(0);
    const hard = t.proxy.hardMaxconn;
    expect(t.run("set maxconn global")).toBe("Expects an integer value.\n");
    expect(t.run(`set maxconn global ${hard + 1}`)).toBe("Value out of range.\n");
    expect(t.run("set maxconn global 10")).toBe("");
    expect(t.proxy.globalMaxconn).toBe(10);
    // 0 or less: back to the hard limit (HAProxy's "unlimited").
    expect(t.run("set maxconn global -5")).toBe("");
    expect(t.proxy.globalMaxconn).toBe(hard);
  });

  test("set maxconn frontend: a socket waiting past the limit gets its session once the limit is raised", async () => {
    const t = await setup();
    const fe = t.proxy.frontends[0]!;
    t.run("set maxconn frontend fe 1");
    t.runtime.accept(new MemSocket("10.0.0.1", 1000));
    t.runtime.accept(new MemSocket("10.0.0.2", 1000));
    expect(fe.current).toBe(1);
    expect(fe.waitingCount).toBe(1);
    t.run("set maxconn frontend fe 2");
    expect(fe.current).toBe(2);
    expect(fe.waitingCount).toBe(0);
  });

  test("disable|enable frontend: messages, the listeners close and open again", async () => {
    const t = await setup();
    // memProxyConfig started it: one listener for its one bind.
    const fe = t.proxy.frontends[0]!;
    expect(fe.listening.length).toBe(1);
    expect(t.run("disable frontend")).toBe("A frontend name is expected.\n");
    expect(t.run("disable frontend nope")).toBe("No such frontend.\n");
    expect(await t.ask("enable frontend fe")).toBe("All sockets are already enabled.\n");
    expect(t.run("disable frontend fe")).toBe("");
    expect(fe.listening.length).toBe(0);
    expect(fe.paused).toBe(true);
    expect(t.run("disable frontend fe")).toBe("All sockets are already disabled.\n");
    expect(await t.ask("enable frontend fe")).toBe("");
    expect(fe.listening.length).toBe(1);
    expect(fe.paused).toBe(false);
    expect(await t.ask("enable frontend fe", "operator")).toBe("Permission denied\n");
    await t.proxy.stop(0);
    expect(t.run("disable frontend fe")).toBe("Frontend was already shut down.\n");
  });

  test("shutdown session: strtoul's ids (0x..., octal, decimal), HAProxy's messages; the session ends", async () => {
    const t = await setup();
    expect(strtoulBase0("0x1f")).toBe(31);
    expect(strtoulBase0("017")).toBe(15);
    expect(strtoulBase0("12abc")).toBe(12);
    expect(strtoulBase0("xyz")).toBe(0);
    expect(t.run("shutdown session")).toBe("Session pointer expected (use 'show sess').\n");
    expect(t.run("shutdown session xyz")).toBe("Session pointer expected (use 'show sess').\n");
    expect(t.run("shutdown session 0xfffffff")).toBe("No such session (use 'show sess').\n");
    t.runtime.accept(new MemSocket("10.1.2.3", 5555));
    const fe = t.proxy.frontends[0]!;
    const id = /^(0x[0-9a-f]+):/.exec(t.run("show sess"))![1]!;
    expect(fe.sessions.size).toBe(1);
    expect(t.run(`shutdown session ${id}`)).toBe("");
    expect(fe.sessions.size).toBe(0);
    expect(t.run("show sess")).toBe("");
  });

  test("shutdown sessions server: HAProxy's lookup messages; a session not on that server stays", async () => {
    const t = await setup();
    expect(t.run("shutdown sessions server")).toBe("Require 'backend/server'.\n");
    expect(t.run("shutdown sessions server be/nope")).toBe("No such server.\n");
    expect(t.run("shutdown sessions server nope/s1")).toBe("No such backend.\n");
    t.runtime.accept(new MemSocket("10.1.2.3", 5555));
    expect(t.run("shutdown sessions server be/s1")).toBe("");
    expect(t.proxy.frontends[0]!.sessions.size).toBe(1);
  });

  test("clear counters: the maxima (operator); clear counters all: every counter (admin)", async () => {
    const t = await setup();
    const fe = t.proxy.frontends[0]!;
    const be = t.proxy.backends.get("be")!;
    const s1 = t.server("be", "s1");
    fe.counters.sessionStarted(3, 1000);
    fe.counters.connections = 4;
    fe.counters.h1Connections = 2;
    be.queueMax = 2;
    s1.queueMax = 1;
    s1.counters.sessionStarted(1, 1000);
    s1.totalConnections = 1;
    expect(t.run("clear counters", "user")).toBe("Permission denied\n");
    expect(t.run("clear counters all", "operator")).toBe("Permission denied\n");
    expect(t.run("clear counters", "operator")).toBe("");
    expect([fe.counters.sessionsMax, fe.counters.sessionRate.max, fe.counters.h1Connections, be.queueMax, s1.queueMax, s1.counters.sessionsMax]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([fe.counters.sessions, fe.counters.connections, s1.counters.sessions, s1.totalConnections]).toEqual([1, 4, 1, 1]);
    expect(t.run("clear counters all")).toBe("");
    expect([fe.counters.sessions, fe.counters.connections, s1.counters.sessions, s1.totalConnections, s1.counters.lastSession]).toEqual([0, 0, 0, 0, -1]);
  });
});
