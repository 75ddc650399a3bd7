// `option redis-check`, `option mysql-check` and `option pgsql-check`
// against the real servers Debian ships (redis-server, mariadb-server,
// postgresql): a server that answers as it should passes with HAProxy's
// words (`option log-health-checks` shows each verdict), one that refuses
// (a password Redis wants, a user MariaDB or PostgreSQL does not know) goes
// DOWN with the server's own reason. The three are installed by .ci/run.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Run, selectedTargets, startSluice, stopSluice, waitFor } from "./harness.ts";

const PG_BIN = "/usr/lib/postgresql/15/bin";
for (const need of ["/usr/bin/redis-server", "/usr/sbin/mariadbd", `${PG_BIN}/postgres`]) {
  if (!existsSync(need)) throw new Error(`${need} is missing: apt-get install -y redis-server mariadb-server postgresql (see .ci/run)`);
}

async function listening(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const procs: ReturnType<typeof Bun.spawn>[] = [];
function spawn(cmd: string[]): void {
  procs.push(Bun.spawn(cmd, { stdout: "ignore", stderr: "ignore" }));
}

const ports = { redis: 0, redisAuth: 0, mariadb: 0, pg: 0 };

beforeAll(async () => {
  const starts: Promise<void>[] = [];
  {
    ports.redis = await freePort();
    ports.redisAuth = await freePort();
    spawn(["redis-server", "--port", String(ports.redis), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    spawn(["redis-server", "--port", String(ports.redisAuth), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", "secret"]);
    starts.push(listening(ports.redis, 10000), listening(ports.redisAuth, 10000));
  }
  {
    const dir = mkdtempSync(join(tmpdir(), "sluice-mariadb-"));
    ports.mariadb = await freePort();
    const install = Bun.spawnSync(["mariadb-install-db", `--datadir=${dir}/data`, "--user=root", "--auth-root-authentication-method=normal"], { stdout: "ignore", stderr: "pipe" });
    if (install.exitCode !== 0) throw new Error(`mariadb-install-db: ${install.stderr.toString()}`);
    // The check's user, with no password (HAProxy's mysql-check logs in with none).
    writeFileSync(join(dir, "init.sql"), "CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';\n");
    spawn([
      "/usr/sbin/mariadbd", "--no-defaults", `--datadir=${dir}/data`, "--user=root", `--port=${ports.mariadb}`, "--bind-address=127.0.0.1",
      `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, `--init-file=${dir}/init.sql`, "--skip-name-resolve",
    ]);
    starts.push(listening(ports.mariadb, 20000));
  }
  {
    // PostgreSQL refuses to run as root: its files and process belong to the postgres user.
    const dir = mkdtempSync(join(tmpdir(), "sluice-pg-"));
    const pw = Bun.spawnSync(["id", "-u", "postgres"]);
    const uid = Number(pw.stdout.toString().trim());
    chownSync(dir, uid, uid);
    ports.pg = await freePort();
    const init = Bun.spawnSync(["runuser", "-u", "postgres", "--", `${PG_BIN}/initdb`, "-D", `${dir}/data`, "-A", "trust", "-U", "postgres"], { stdout: "ignore", stderr: "pipe" });
    if (init.exitCode !== 0) throw new Error(`initdb: ${init.stderr.toString()}`);
    // Role 'refused' is turned away before authentication (an error first: DOWN); the others are trusted.
    writeFileSync(`${dir}/data/pg_hba.conf`, "host all refused 127.0.0.1/32 reject\nhost all all 127.0.0.1/32 trust\nlocal all all trust\n");
    spawn(["runuser", "-u", "postgres", "--", `${PG_BIN}/postgres`, "-D", `${dir}/data`, "-p", String(ports.pg), "-k", dir, "-c", "listen_addresses=127.0.0.1"]);
    starts.push(listening(ports.pg, 20000));
  }
  await Promise.all(starts);
}, 60000);

afterAll(async () => {
  // runuser passes SIGTERM on to postgres; mariadbd and redis stop on it.
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
});

const HEAD = `defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    option log-health-checks
`;

/** A backend with one good and one refused server, checked every second (a check must connect within inter: 100 ms was too short for Deno under the full suite). */
function config(option: string, good: number, bad: number, badOption = option): string {
  return `${HEAD}backend good
    option ${option}
    server a 127.0.0.1:${good} check inter 1s rise 1 fall 1
backend bad
    option ${badOption}
    server b 127.0.0.1:${bad} check inter 1s rise 1 fall 1
`;
}

for (const target of selectedTargets()) {
  describe(`protocol checks (${target.name})`, () => {
    let run: Run | undefined;
    const logged = (re: RegExp) => run!.errLines.filter((l) => re.test(l));
    async function verdicts(cfg: string): Promise<{ good: string; bad: string }> {
      run = await startSluice(target, cfg);
      try {
        await waitFor(() => logged(/server good\/a/).length > 0 && logged(/server bad\/b failed/).length > 0, 10000, "both verdicts");
        return { good: logged(/server good\/a/)[0]!, bad: logged(/server bad\/b failed/)[0]! };
      } finally {
        await stopSluice(run);
      }
    }

    test("redis-check: PING gets +PONG from redis-server; a server that wants a password is DOWN with its error line", async () => {
      const v = await verdicts(config("redis-check", ports.redis, ports.redisAuth));
      expect(v.good).toMatch(/Health check for server good\/a succeeded, reason: Layer7 check passed, code: 0, info: "Redis server is ok"/);
      expect(v.bad).toMatch(/Health check for server bad\/b failed, reason: Layer7 wrong status, info: "-NOAUTH Authentication required\.?"/);
    });

    test("mysql-check: MariaDB's greeting (no user), a login as a known user, and a user it does not know (DOWN with its message)", async () => {
      const v = await verdicts(config("mysql-check", ports.mariadb, ports.mariadb, "mysql-check user nosuchuser"));
      expect(v.good).toMatch(/Health check for server good\/a succeeded, reason: Layer7 check passed, code: 0, info: "[0-9.-]+-MariaDB/);
      expect(v.bad).toMatch(/Health check for server bad\/b failed, reason: Layer7 wrong status, info: "Access denied for user 'nosuchuser'@'(127\.0\.0\.1|localhost)'/);
      const login = await verdicts(config("mysql-check user haproxy", ports.mariadb, ports.mariadb, "mysql-check user nosuchuser pre-41"));
      expect(login.good).toMatch(/Health check for server good\/a succeeded, reason: Layer7 check passed, code: 0, info: "[0-9.-]+-MariaDB/);
      expect(login.bad).toMatch(/Health check for server bad\/b failed, reason: Layer7 wrong status/);
    });

    test("pgsql-check: PostgreSQL answers a known user's startup with an authentication request; a role pg_hba.conf rejects is DOWN with its error", async () => {
      const v = await verdicts(config("pgsql-check user postgres", ports.pg, ports.pg, "pgsql-check user refused"));
      expect(v.good).toMatch(/Health check for server good\/a succeeded, reason: Layer7 check passed, code: 0, info: "PostgreSQL server is ok"/);
      expect(v.bad).toMatch(/Health check for server bad\/b failed, reason: Layer7 invalid response, info: "FATAL VFATAL C28000 Mpg_hba.conf rejects connection for host \\?"127\.0\.0\.1\\?", user \\?"refused\\?"/);
    });
  });
}
