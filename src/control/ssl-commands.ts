// Certificates on the runtime API, HAProxy 2.6's transaction (ssl_ckch.c):
//   set ssl cert FILE <<          a PEM payload (certificate, chain, key) for a
//   -----BEGIN CERTIFICATE-----   file the configuration names: it is checked
//   ...                           and held in the one open transaction
//   (empty line)
//   commit ssl cert FILE          every TLS bind serving FILE takes it: new
//                                 handshakes get it, open connections keep theirs
//                                 (Frontend.reloadTls, the runtime's reloadTls)
//   abort ssl cert FILE           drops the transaction
//   show ssl cert                 the files, and the one in a transaction
import type { BindConfig, TlsCertificate } from "../config/types.ts";
import type { Frontend } from "../core/frontend.ts";
import { type CertificateFile, parseCertificatePem } from "../tls/pem.ts";
import { type Command, type ControlContext, say } from "./commands.ts";

/** Every certificate file the TLS binds serve, in order, each once. */
function certificateFiles(frontends: readonly Frontend[]): string[] {
  const files: string[] = [];
  for (const f of frontends) {
    for (const b of f.config.binds) for (const c of b.ssl?.certificates ?? []) if (!files.includes(c.file)) files.push(c.file);
  }
  return files;
}

/** The new bind when it serves `file` (the certificate replaced), else undefined. */
function rebound(bind: BindConfig, file: string, pem: CertificateFile): BindConfig | undefined {
  const ssl = bind.ssl;
  if (ssl === undefined || !ssl.certificates.some((c) => c.file === file)) return undefined;
  const certificates: TlsCertificate[] = ssl.certificates.map((c) =>
    c.file !== file ? c : { file, cert: pem.cert, key: pem.key, names: [...pem.names], keyType: pem.keyType }
  );
  return { ...bind, ssl: { ...ssl, certificates } };
}

/** Puts the committed certificate in every bind serving `file`: how many binds took it. */
function commit(ctx: ControlContext, file: string, pem: CertificateFile): number {
  let instances = 0;
  for (const f of ctx.proxy.frontends) {
    const next = f.config.binds.map((b) => rebound(b, file, pem) ?? b);
    const changed = next.filter((b, i) => b !== f.config.binds[i]).length;
    if (changed === 0) continue;
    f.reloadTls(next);
    // The configuration now says what the listeners serve: the next commit starts from it.
    next.forEach((b, i) => (f.config.binds[i] = b));
    instances += changed;
  }
  return instances;
}

function otherTransaction(open: string, asked: string, verb: "update" | "commit"): string {
  return say(`The ongoing transaction is about '${open}' but you are trying to set '${asked}'\nCan't ${verb} ${asked}!`);
}

export const SSL_COMMANDS: readonly Command[] = [
  {
    words: ["set", "ssl", "cert"],
    usage: "set ssl cert <certfile> <payload>",
    help: "replace a certificate file",
    level: "admin",
    run(call, ctx) {
      const file = call.args[0];
      if (file === undefined || call.payload === undefined) return say("'set ssl cert expects a filename and a certificate as a payload");
      const tx = ctx.certs;
      if (tx.open !== undefined && tx.open.file !== file) return otherTransaction(tx.open.file, file, "update");
      if (!certificateFiles(ctx.proxy.frontends).includes(file)) {
        return say(`Can't replace a certificate which is not referenced by the configuration!\nCan't update ${file}!`);
      }
      const r = parseCertificatePem(call.payload);
      if (!r.ok) return say(`unable to load certificate from file '${file}': ${r.error}.\nCan't load the payload\nCan't update ${file}!`);
      const created = tx.open === undefined;
      tx.open = { file, pem: r.file };
      return say(`Transaction ${created ? "created" : "updated"} for certificate ${file}!`);
    },
  },
  {
    words: ["commit", "ssl", "cert"],
    usage: "commit ssl cert <certfile>",
    help: "commit a certificate file",
    level: "admin",
    run(call, ctx) {
      const file = call.args[0];
      if (file === undefined) return say("'commit ssl cert expects a filename");
      const open = ctx.certs.open;
      if (open === undefined) return say(`No ongoing transaction! !\nCan't commit ${file}!`);
      if (open.file !== file) return otherTransaction(open.file, file, "commit");
      ctx.certs.open = undefined;
      const instances = commit(ctx, file, open.pem);
      return say(`Committing ${file}${".".repeat(instances)}\nSuccess!`);
    },
  },
  {
    words: ["abort", "ssl", "cert"],
    usage: "abort ssl cert <certfile>",
    help: "abort a transaction for a certificate file",
    level: "admin",
    run(call, ctx) {
      const file = call.args[0];
      if (file === undefined) return say("'abort ssl cert' expects a filename");
      const open = ctx.certs.open;
      if (open === undefined) return say("No ongoing transaction!");
      if (open.file !== file) return say(`The ongoing transaction is about '${open.file}' but you are trying to abort a transaction for '${file}'`);
      ctx.certs.open = undefined;
      return say(`Transaction aborted for certificate '${file}'!`);
    },
  },
  {
    words: ["show", "ssl", "cert"],
    usage: "show ssl cert [<certfile>]",
    help: "display the SSL certificates used in memory",
    level: "operator",
    run(_call, ctx) {
      const open = ctx.certs.open;
      let out = open === undefined ? "" : `# transaction\n*${open.file}\n`;
      out += "# filename\n";
      for (const f of certificateFiles(ctx.proxy.frontends)) out += `${f}\n`;
      return out;
    },
  },
];
