// HTTP compression's decisions, as HAProxy 2.6's compression filter makes
// them (flt_http_comp.c): the algorithm from the request's Accept-Encoding
// (best q-value, then the configured order), whether a response may be
// compressed, and the response head once it is. Pure over heads; the body
// transform is compress-body.ts.
import { BUILTIN, type CompressionAlgo, type CompressionConfig } from "../config/types.ts";
import { BodyKind, type Head } from "../http/message.ts";
import { type Field, FieldsHead } from "../http/fields-head.ts";

/** What a proxy pair (frontend, backend) compresses with: HAProxy reads the backend's lists first. */
export interface CompressionSettings {
  algos: readonly CompressionAlgo[];
  types: readonly string[];
  offload: boolean;
  /** zlib's level (`tune.comp.maxlevel`). */
  level: number;
}

/** The backend's algorithms and types when it has some, else the frontend's; offload if either says so. */
export function settingsOf(frontend: CompressionConfig | undefined, backend: CompressionConfig | undefined): CompressionSettings {
  return {
    algos: backend !== undefined && backend.algos.length > 0 ? backend.algos : frontend?.algos ?? [],
    types: backend !== undefined && backend.types.length > 0 ? backend.types : frontend?.types ?? [],
    offload: backend?.offload === true || frontend?.offload === true,
    level: backend?.level ?? frontend?.level ?? BUILTIN.compressionLevel,
  };
}

/** The Accept-Encoding token each algorithm answers to. */
const TOKEN: Record<CompressionAlgo, string> = { identity: "identity", gzip: "gzip", deflate: "deflate", "raw-deflate": "deflate" };

/** The Content-Encoding value a compressed response gets. */
export function encodingOf(algo: CompressionAlgo): string {
  return TOKEN[algo];
}

/** q-value in thousandths, as HAProxy's http_parse_qvalue reads "0.5", "1", "0.001". */
function qValue(params: string): number {
  for (const p of params.split(";")) {
    const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p);
    if (m !== null) return Math.min(1000, Math.round(Number(m[1]) * 1000));
  }
  return 1000;
}

/** HAProxy skips old user agents announcing themselves as "Mozilla/4", unless MSIE 6 with SV1 or MSIE 7 and later. */
function oldMozilla(ua: string | undefined): boolean {
  if (ua === undefined || ua.length < 9 || !ua.startsWith("Mozilla/4")) return false;
  if (ua.length < 31 || ua.slice(25, 30) !== "MSIE ") return true;
  const major = ua.charCodeAt(30);
  if (major < 0x36) return true;
  return major === 0x36 && (ua.length < 54 || ua.slice(51, 54) !== "SV1");
}

/** The algorithm for this request, or undefined: no compression. */
export function chooseAlgo(request: Head, s: CompressionSettings): CompressionAlgo | undefined {
  if (s.algos.length === 0 || oldMozilla(request.get("user-agent"))) return undefined;
  let best: CompressionAlgo | undefined;
  let bestQ = 0;
  for (let i = 0; i < request.fieldCount; i++) {
    if (request.name(i) !== "accept-encoding") continue;
    for (const element of request.value(i).split(",")) {
      const semi = element.indexOf(";");
      const token = (semi < 0 ? element : element.slice(0, semi)).trim().toLowerCase();
      if (token === "") continue;
      const q = semi < 0 ? 1000 : qValue(element.slice(semi + 1));
      if (q <= bestQ) continue;
      // `*`: HAProxy's list head, which is the algorithm written last (it prepends each as it reads the line).
      const algo = token === "*" ? s.algos[s.algos.length - 1] : s.algos.find((a) => TOKEN[a] === token);
      if (algo !== undefined) {
        best = algo;
        bestQ = q;
      }
    }
  }
  if (best !== undefined) return best;
  // identity needs no header: a proxy that lists it applies it to everyone.
  return s.algos.includes("identity") ? "identity" : undefined;
}

const COMPRESSIBLE_STATUS = new Set([200, 201, 202, 203]);

/** Whether HAProxy 2.6 compresses this response to this request. */
export function mayCompress(request: Head, response: Head, s: CompressionSettings): boolean {
  if (request.versionMinor < 1 || response.versionMinor < 1) return false;
  if (request.method === "HEAD" || !COMPRESSIBLE_STATUS.has(response.status)) return false;
  if (response.bodyKind === BodyKind.None || response.bodyKind === BodyKind.UntilClose) return false;
  if (response.bodyKind === BodyKind.Length && response.contentLength === 0) return false;
  let etags = 0;
  let contentType: string | undefined;
  for (let i = 0; i < response.fieldCount; i++) {
    const name = response.name(i);
    if (name === "content-encoding") return false;
    if (name === "cache-control" && /(^|[\s,])no-transform($|[\s,;=])/i.test(response.value(i))) return false;
    if (name === "etag") {
      // Several ETags, or one that is not a quoted entity-tag: not compressed.
      if (++etags > 1 || !/^(W\/)?"[^"]*"$/.test(response.value(i).trim())) return false;
    }
    if (name === "content-type" && contentType === undefined) contentType = response.value(i).trim().toLowerCase();
  }
  if (contentType !== undefined) {
    if (contentType.startsWith("multipart")) return false;
    if (s.types.length > 0 && !s.types.some((t) => contentType!.startsWith(t))) return false;
  } else if (s.types.length > 0) {
    return false;
  }
  return true;
}

/**
 * The head of the compressed response: no Content-Length, chunked (the
 * client's writer frames it: chunks to HTTP/1.1, DATA frames to HTTP/2),
 * Content-Encoding (not for identity), a strong ETag made weak, and
 * `Vary: Accept-Encoding`.
 */
export function compressedHead(head: Head, algo: CompressionAlgo): Head {
  const fields: Field[] = [];
  for (let i = 0; i < head.fieldCount; i++) {
    const name = head.name(i);
    if (name === "content-length" || name === "transfer-encoding") continue;
    const value = head.value(i);
    if (name === "etag" && value.trim().startsWith('"')) fields.push([head.originalName(i), `W/${value.trim()}`]);
    else fields.push([head.originalName(i), value]);
  }
  if (algo !== "identity") fields.push(["content-encoding", TOKEN[algo]]);
  fields.push(["vary", "Accept-Encoding"]);
  return new FieldsHead(fields, {
    isRequest: false,
    status: head.status,
    reason: head.reason,
    bodyKind: BodyKind.Chunked,
    versionMinor: head.versionMinor,
    keepAlive: head.keepAlive,
    connectionTokens: head.connectionTokens,
  });
}
