// The stats page: plain HTML that reads at a glance and works without
// JavaScript. One table per proxy (a frontend row, a row per server, a backend
// row), a colour per server state, HAProxy's column groups plus sluice's own
// (requests, connection reuse and ownership, TLS, HTTP/2), a bar chart of the
// last minutes' request rate per frontend, and the page refreshes itself
// (`stats refresh`: a meta refresh).
import type { InfoField, StatRow } from "../stats/types.ts";
import { PAGE_ACTIONS } from "./server-api.ts";

export interface PageOptions {
  /** Seconds between reloads; undefined: none. */
  readonly refreshSeconds?: number;
  readonly showLegends: boolean;
  readonly hideVersion: boolean;
  /** The page's own path (the CSV and JSON links append to it). */
  readonly uri: string;
  /** `stats admin` allows this request: a checkbox per server and a form of actions per backend. */
  readonly admin?: boolean;
  /** The result of the last form action (the redirect's `;st=CODE`). */
  readonly result?: { ok: boolean; text: string };
  /** `stats show-node [NAME]`: the node named in the title (true: the global `node`, else the host's name). */
  readonly node?: string | true;
  /** `stats show-desc [TEXT]`: the description under the title (true: the global `description`). */
  readonly description?: string | true;
  /** `stats show-modules`: a column of each row's module counters (ssl, h2, h1), as HAProxy's extra modules. */
  readonly modules?: boolean;
}

/** The statistics modules HAProxy's page lists with `stats show-modules`: each one's counters, by column prefix. */
const MODULES: readonly (readonly [string, string])[] = [["ssl", "ssl_"], ["h2", "h2_"], ["h1", "h1_"]];

/** One row's module counters: each module that has some, its counters as `name value`. */
function modulesCell(row: StatRow): string {
  const parts: string[] = [];
  for (const [module, prefix] of MODULES) {
    const counters = Object.keys(row).filter((k) => k.startsWith(prefix)).map((k) => `${escapeHtml(k.slice(prefix.length))} ${escapeHtml(String(row[k]))}`);
    if (counters.length > 0) parts.push(`<b>${module}</b>: ${counters.join(", ")}`);
  }
  return `<td class="modules" data-col="modules">${parts.join("<br>")}</td>`;
}

/** Requests per 10 s of each frontend, oldest first (admin/rate-history.ts). */
export type RateSamples = ReadonlyMap<string, readonly number[]>;

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; font-size: 13px; color: #1d232a; background: #fafbfc; margin: 16px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 6px; }
p.result { padding: 6px 10px; border-radius: 3px; display: inline-block; }
p.result.ok { background: #d7f5d9; }
p.result.failed { background: #ffc9c9; }
p.admin { margin: 4px 0; }
.info { color: #4a5561; margin-bottom: 8px; }
.info b { color: #1d232a; }
table.px { border-collapse: collapse; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
table.px th, table.px td { border: 1px solid #d5dbe1; padding: 2px 6px; white-space: nowrap; }
table.px th { background: #eef1f4; font-weight: 600; font-size: 12px; }
table.px th.group { background: #dde3ea; }
table.px td { text-align: right; font-variant-numeric: tabular-nums; }
table.px td.name { text-align: left; font-weight: 600; }
table.px td.state { text-align: center; font-weight: 600; }
tr.frontend td, tr.backend td { background: #f1eee0; }
tr.up td { background: #d7f5d9; }
tr.going td { background: #fff3b0; }
tr.down td { background: #ffc9c9; }
tr.maint td { background: #e8c39e; }
tr.drain td { background: #c8e1ff; }
tr.nocheck td { background: #ececec; }
.spark { vertical-align: middle; margin-left: 10px; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #d5dbe1; }
.glossary { columns: 3; font-size: 12px; color: #4a5561; }
a { color: #0b5cad; }
`;

/** What each column shows: [group, column label, stat column, legend]. */
const COLUMNS: readonly (readonly [string, string, string, string])[] = [
  ["Server", "Status", "status", "state and time since its last change"],
  ["Server", "LastChk", "check_status", "last health check: status, code, duration"],
  ["Server", "Wght", "weight", "effective weight"],
  ["Server", "Act", "act", "active server"],
  ["Server", "Bck", "bck", "backup server"],
  ["Server", "Chk", "chkfail", "failed checks"],
  ["Server", "Dwn", "chkdown", "transitions to DOWN"],
  ["Server", "Dwntme", "downtime", "time spent DOWN"],
  ["Queue", "Cur", "qcur", "streams waiting for a server now"],
  ["Queue", "Max", "qmax", "most streams waiting at once"],
  ["Queue", "Limit", "qlimit", "a server's maxqueue"],
  ["Session rate", "Cur", "rate", "sessions per second now"],
  ["Session rate", "Max", "rate_max", "most sessions per second"],
  ["Sessions", "Cur", "scur", "sessions now"],
  ["Sessions", "Max", "smax", "most sessions at once"],
  ["Sessions", "Limit", "slim", "maxconn"],
  ["Sessions", "Total", "stot", "sessions since start"],
  ["Sessions", "LbTot", "lbtot", "times a server was picked"],
  ["Requests", "Total", "req_tot", "HTTP requests"],
  ["Requests", "Rate", "req_rate", "HTTP requests per second now"],
  ["Responses", "1xx", "hrsp_1xx", "informational answers"],
  ["Responses", "2xx", "hrsp_2xx", "successful answers"],
  ["Responses", "3xx", "hrsp_3xx", "redirections"],
  ["Responses", "4xx", "hrsp_4xx", "client errors"],
  ["Responses", "5xx", "hrsp_5xx", "server errors"],
  ["Responses", "Other", "hrsp_other", "anything else"],
  ["Bytes", "In", "bin", "bytes from clients"],
  ["Bytes", "Out", "bout", "bytes to clients"],
  ["Denied", "Req", "dreq", "requests refused by rules"],
  ["Denied", "Resp", "dresp", "responses refused by rules"],
  ["Errors", "Req", "ereq", "bad or aborted requests"],
  ["Errors", "Conn", "econ", "failed connects to servers"],
  ["Errors", "Resp", "eresp", "bad or lost responses"],
  ["Warnings", "Retr", "wretr", "connect attempts made again"],
  ["Warnings", "Redis", "wredis", "retries sent to another server"],
  ["Connections", "Opened", "connect", "connections opened to the server"],
  ["Connections", "Reused", "reuse", "requests sent on a kept connection"],
  ["Connections", "Idle", "idle_conn_cur", "idle shared connections"],
  ["Connections", "Safe", "safe_conn_cur", "idle connections proven reusable"],
  ["Connections", "Private", "sl_private_conn_cur", "connections owned by one client session"],
  ["Connections", "Avail", "sl_avail_conn_cur", "HTTP/2 connections with free stream slots"],
  ["Connections", "Violations", "sl_ownership_violations", "ownership rule violations (should stay 0)"],
  ["TLS", "Hshk", "ssl_sess", "TLS handshakes"],
  ["TLS", "Fail", "ssl_failed_handshake", "failed TLS handshakes"],
  ["HTTP/2", "Conns", "h2_total_connections", "HTTP/2 client connections"],
  ["HTTP/2", "Streams", "sl_h2_total_streams", "requests on HTTP/2 client connections"],
];

/** 1234567 → "1 234 567": digits grouped, so large counters read at a glance. */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

/** Seconds as HAProxy prints ages: 3s, 4m12s, 2h5m, 3d4h. */
export function age(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d${Math.floor((seconds % 86400) / 3600)}h`;
}

/** The row's CSS class: its kind, or its server state. */
function rowClass(row: StatRow): string {
  if (row.svname === "FRONTEND") return "frontend";
  if (row.svname === "BACKEND") return "backend";
  const status = String(row.status ?? "");
  if (status === "MAINT") return "maint";
  if (status === "DRAIN" || status === "NOLB") return "drain";
  if (status === "no check") return "nocheck";
  if (status.includes("/")) return "going";
  return status.startsWith("DOWN") ? "down" : "up";
}

function cell(row: StatRow, column: string): string {
  return `<td data-col="${column}"${cellBody(row, column)}</td>`;
}

/** The rest of a cell after its column name: its own attributes, `>`, its text. */
function cellBody(row: StatRow, column: string): string {
  const value = row[column];
  if (value === undefined) return ">";
  if (column === "status") {
    const since = typeof row.lastchg === "number" ? ` ${age(row.lastchg)}` : "";
    return ` class="state">${escapeHtml(String(value))}${since}`;
  }
  if (column === "check_status") {
    const code = row.check_code !== undefined ? ` ${row.check_code}` : "";
    const ms = row.check_duration !== undefined ? ` in ${row.check_duration}ms` : "";
    const title = row.check_desc !== undefined ? ` title="${escapeHtml(String(row.check_desc))}${row.last_chk !== undefined ? `: ${escapeHtml(String(row.last_chk))}` : ""}"` : "";
    return ` class="state"${title}>${escapeHtml(String(value))}${code}${ms}`;
  }
  if (column === "downtime" && typeof value === "number") return `>${age(value)}`;
  if (column === "act" || column === "bck") return `>${value === 1 ? "Y" : value === 0 ? "-" : grouped(Number(value))}`;
  return `>${typeof value === "number" ? grouped(value) : escapeHtml(value)}`;
}

function header(): string {
  const groups: { name: string; span: number }[] = [];
  for (const [group] of COLUMNS) {
    const last = groups[groups.length - 1];
    if (last?.name === group) last.span++;
    else groups.push({ name: group, span: 1 });
  }
  const top = groups.map((g) => `<th class="group" colspan="${g.span}">${escapeHtml(g.name)}</th>`).join("");
  const bottom = COLUMNS.map(([, label, , legend]) => `<th title="${escapeHtml(legend)}">${escapeHtml(label)}</th>`).join("");
  return `<tr><th rowspan="2">Name</th>${top}</tr><tr>${bottom}</tr>`;
}

/** A bar per 10 s sample, scaled to the highest; an empty chart when there is no sample yet. */
export function sparkline(samples: readonly number[], label: string): string {
  const width = 180, height = 28, n = Math.max(samples.length, 1), bar = width / n;
  const max = Math.max(1, ...samples);
  const bars = samples.map((v, i) => {
    const h = Math.round((v / max) * (height - 2));
    return `<rect x="${(i * bar).toFixed(1)}" y="${height - h}" width="${Math.max(1, bar - 1).toFixed(1)}" height="${h}"/>`;
  }).join("");
  const title = `${label}: requests per 10 s over the last ${Math.round((samples.length * 10) / 60)} min (max ${max})`;
  // Before the first 10 s have passed there is nothing to draw: say so rather than show an empty box.
  const empty = samples.length === 0 ? `<text x="6" y="18" font-size="11" fill="#4a5561">requests per 10 s: collecting</text>` : "";
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title><rect width="${width}" height="${height}" fill="#eef1f4"/><g fill="#2f7d32">${bars}</g>${empty}</svg>`;
}

/** The page's actions on the servers ticked in one backend's table (HAProxy's form: b, s..., action); works without JavaScript. */
function adminForm(name: string): string {
  const options = PAGE_ACTIONS.map(([value, label]) => `<option value="${value}">${escapeHtml(label)}</option>`).join("");
  return `<p class="admin"><input type="hidden" name="b" value="${escapeHtml(name)}">Choose the action to perform on the checked servers: <select name="action"><option value="">--</option>${options}</select> <input type="submit" value="Apply"></p>`;
}

function proxyTable(name: string, rows: readonly StatRow[], samples: readonly number[] | undefined, legends: boolean, admin: string | undefined, modules: boolean): string {
  const servers = admin !== undefined && rows.some((r) => r.type === 2);
  const body = rows.map((row) => {
    const tick = !servers ? "" : row.type === 2 ? `<td><input type="checkbox" name="s" value="${escapeHtml(String(row.svname))}"></td>` : "<td></td>";
    const title = legends && row.addr !== undefined ? ` title="${escapeHtml(`${row.addr}${row.cookie !== undefined ? ` cookie ${row.cookie}` : ""}`)}"` : "";
    const label = row.svname === "FRONTEND" ? "Frontend" : row.svname === "BACKEND" ? "Backend" : String(row.svname);
    return `<tr class="${rowClass(row)}" data-sv="${escapeHtml(String(row.svname))}">${tick}<td class="name"${title}>${escapeHtml(label)}</td>${COLUMNS.map(([, , c]) => cell(row, c)).join("")}${modules ? modulesCell(row) : ""}</tr>`;
  }).join("\n");
  const chart = samples === undefined ? "" : sparkline(samples, name);
  const head = modules ? header().replace("</tr><tr>", `<th rowspan="2" class="group">Modules</th></tr><tr>`) : header();
  const table = `<table class="px" data-proxy="${escapeHtml(name)}">
${servers ? head.replaceAll("<tr><th rowspan=\"2\">", "<tr><th rowspan=\"2\"></th><th rowspan=\"2\">") : head}
${body}
</table>`;
  const wrapped = servers ? `<form method="post" action="${admin}">\n${table}\n${adminForm(name)}\n</form>` : table;
  // A proxy's `description`, as HAProxy's page shows it beside the name.
  const desc = rows.find((r) => r.desc !== undefined)?.desc;
  const described = desc === undefined ? "" : ` <span class="desc">${escapeHtml(String(desc))}</span>`;
  return `<h2 id="${escapeHtml(name)}">${escapeHtml(name)}${described}${chart}</h2>
${wrapped}`;
}

const STATES: readonly (readonly [string, string])[] = [
  ["up", "UP"],
  ["going", "going up / down"],
  ["down", "DOWN"],
  ["maint", "MAINT"],
  ["drain", "DRAIN / NOLB"],
  ["nocheck", "no check"],
];

function legend(showColumns: boolean): string {
  const colours = `<p class="legend">${STATES.map(([cls, label]) => `<span class="${cls}" style="background:${colourOf(cls)}">${label}</span>`).join("")}</p>`;
  if (!showColumns) return colours;
  const items = COLUMNS.map(([group, label, , text]) => `<li><b>${escapeHtml(group)} ${escapeHtml(label)}</b>: ${escapeHtml(text)}</li>`).join("");
  return `${colours}<ul class="glossary">${items}</ul>`;
}

function colourOf(cls: string): string {
  return ({ up: "#d7f5d9", going: "#fff3b0", down: "#ffc9c9", maint: "#e8c39e", drain: "#c8e1ff", nocheck: "#ececec" } as Record<string, string>)[cls]!;
}

export function statsPage(rows: readonly StatRow[], info: readonly InfoField[], samples: RateSamples, options: PageOptions): string {
  const field = (name: string) => info.find((f) => f.name === name)?.value;
  const byProxy = new Map<string, StatRow[]>();
  for (const row of rows) {
    const name = String(row.pxname);
    const list = byProxy.get(name);
    if (list === undefined) byProxy.set(name, [row]);
    else list.push(row);
  }
  const refresh = options.refreshSeconds === undefined ? "" : `<meta http-equiv="refresh" content="${options.refreshSeconds}">`;
  const version = options.hideVersion ? "" : ` ${escapeHtml(String(field("Version") ?? ""))}`;
  const uri = escapeHtml(options.uri);
  // The global `node` and `description`, as HAProxy's page heads itself with them; `stats show-node NAME` / `show-desc TEXT` name their own.
  const nodeName = typeof options.node === "string" ? options.node : String(field("node") ?? "");
  const node = nodeName === "" ? "" : ` on ${escapeHtml(nodeName)}`;
  const about = typeof options.description === "string" ? options.description : String(field("description") ?? "");
  const description = about === "" ? "" : `\n<p class="desc">${escapeHtml(about)}</p>`;
  const tables = [...byProxy].map(([name, list]) => proxyTable(name, list, samples.get(name), options.showLegends, options.admin === true ? uri : undefined, options.modules === true)).join("\n");
  const result = options.result === undefined ? "" : `<p class="result ${options.result.ok ? "ok" : "failed"}">${escapeHtml(options.result.text)} <a href="${uri}">[X]</a></p>\n`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">${refresh}
<title>Statistics Report for sluice</title>
<style>${STYLE}</style></head>
<body>
<h1>sluice${version} statistics${node}</h1>${description}
<p class="info">pid <b>${field("Pid")}</b> · uptime <b>${escapeHtml(String(field("Uptime") ?? ""))}</b> · connections <b id="curr-conns">${field("CurrConns")}</b> of <b>${field("Maxconn")}</b> · requests <b id="cum-req">${field("CumReq")}</b>
· <a href="${uri};csv">CSV</a> · <a href="${uri};json">JSON</a>${options.refreshSeconds === undefined ? "" : ` · refreshes every ${options.refreshSeconds}s (<a href="${uri};norefresh">stop</a>)`}</p>
${result}${tables}
${legend(options.showLegends)}
</body></html>
`;
}
