// What a conformance case is (the RFC sentence, what it sends, what it
// expects) and how an expectation is checked against the frames a server
// sent back. Expectations follow the RFC's words:
//  - a connection error: GOAWAY with the code, then the TCP connection closes
//    (§5.4.1: "After sending the GOAWAY frame for an error condition, the
//    endpoint MUST close the TCP connection"); GOAWAY may be missing only where
//    the RFC says so (an invalid preface, §3.4);
//  - a stream error: RST_STREAM with the code on that stream, or the same code
//    as a connection error (§5.4: "An endpoint can end a connection at any
//    time. In particular, an endpoint MAY choose to treat a stream error as a
//    connection error");
//  - a malformed request (§8.1.1): a stream error of type PROTOCOL_ERROR, or a
//    4xx response ("a server MAY send an HTTP response prior to closing or
//    resetting the stream"); an intermediary "MUST NOT forward" it, so where the
//    whole message is known before it could be forwarded, the backend must not
//    have seen it;
//  - a response, or the connection staying usable (a PING answered, no GOAWAY
//    or RST_STREAM before it): where the RFC says a frame is valid or ignored.
import { ErrorCode, FrameType } from "../../../src/http2/constants.ts";
import { type H2RawClient, type H2Response } from "../../support/h2-raw-client.ts";
import { codeName, errorCodeOf, type HeaderField, type RawFrame } from "../../support/h2-raw-frames.ts";
import type { ConformanceBackend, ReferenceName } from "./targets.ts";

export type Expect =
  | { kind: "connectionError"; codes: readonly number[]; goawayOptional?: boolean }
  | { kind: "streamError"; stream: number; codes: readonly number[] }
  | { kind: "malformed"; stream: number; forwardCheck: boolean }
  | { kind: "response"; stream: number; check?: (r: H2Response) => string | undefined; what?: string }
  | { kind: "alive" }
  | { kind: "custom"; what: string; check: (c: H2RawClient, from: number, ctx: CaseContext) => Promise<void> };

/** What a reference does instead of what the RFC says, checked so that the reference run passes and a fix shows. */
export interface Deviation {
  /** The RFC's reason the observed behaviour is wrong (or where it leans on a SHOULD). */
  why: string;
  observed: Expect;
}

export interface CaseContext {
  /** A path unique to this case and target: the backend records the paths it receives. */
  readonly path: string;
  readonly authority: string;
  readonly backend: ConformanceBackend;
  /** A well-formed GET for this case (`extra` fields after the pseudo-header fields). */
  get(extra?: readonly HeaderField[]): HeaderField[];
  /** A POST whose body the case sends. */
  post(extra?: readonly HeaderField[]): HeaderField[];
}

export interface Case {
  /** Section and number, h2spec style: "6.5.3/2". */
  readonly id: string;
  /** The RFC sentence checked (RFC 9113 unless said otherwise). */
  readonly rfc: string;
  /** What the client sends, in words. */
  readonly sends: string;
  /** false: the case writes the connection preface itself (§3.4 cases). */
  readonly handshake?: false;
  run(c: H2RawClient, ctx: CaseContext): Promise<void> | void;
  /** Static, or computed once the handshake is done (e.g. from the server's SETTINGS). */
  readonly expect: Expect | ((c: H2RawClient) => Expect);
  /** Known deviations of the references. */
  readonly known?: Partial<Record<ReferenceName, Deviation>>;
}

// ---- expectation builders ----

export const connError = (...codes: number[]): Expect => ({ kind: "connectionError", codes });
export const streamError = (stream: number, ...codes: number[]): Expect => ({ kind: "streamError", stream, codes });
export const malformed = (stream = 1, forwardCheck = true): Expect => ({ kind: "malformed", stream, forwardCheck });
export const response = (stream = 1, check?: (r: H2Response) => string | undefined, what?: string): Expect => ({ kind: "response", stream, check, what });
export const alive = (): Expect => ({ kind: "alive" });
export const custom = (what: string, check: (c: H2RawClient, from: number, ctx: CaseContext) => Promise<void>): Expect => ({ kind: "custom", what, check });

const { PROTOCOL_ERROR } = ErrorCode;

export function describeExpect(e: Expect): string {
  switch (e.kind) {
    case "connectionError":
      return `connection error ${e.codes.map(codeName).join(" or ")}${e.goawayOptional ? " (GOAWAY optional)" : ""}`;
    case "streamError":
      return `stream error ${e.codes.map(codeName).join(" or ")} on stream ${e.stream}`;
    case "malformed":
      return `malformed: PROTOCOL_ERROR or a 4xx on stream ${e.stream}${e.forwardCheck ? ", not forwarded" : ""}`;
    case "response":
      return e.what ?? `a 2xx response on stream ${e.stream}`;
    case "alive":
      return "ignored (PING answered, no error)";
    case "custom":
      return e.what;
  }
}

// ---- checking ----

const isGoaway = (f: RawFrame) => f.type === FrameType.GOAWAY;

/** Throws an H2ExpectationError (or Error) naming what was received when `e` does not hold from frame index `from` on. */
export async function verify(c: H2RawClient, e: Expect, from: number, ctx: CaseContext): Promise<void> {
  switch (e.kind) {
    case "connectionError":
      return await connectionError(c, e.codes, from, e.goawayOptional ?? false);
    case "streamError": {
      const at = await c.until((f) => (f.type === FrameType.RST_STREAM && f.streamId === e.stream) || isGoaway(f), undefined, from);
      return await judgeError(c, at, e.codes, from, `stream error ${e.codes.map(codeName).join("/")} on stream ${e.stream}`);
    }
    case "malformed":
      return await malformedRequest(c, e.stream, e.forwardCheck, from, ctx);
    case "response": {
      const r = await c.expectResponse(e.stream, undefined, from);
      const wrong = e.check ? e.check(r) : r.status >= 200 && r.status < 300 ? undefined : `status ${r.status}, expected 2xx`;
      if (wrong !== undefined) throw c.failure(`response on stream ${e.stream}: ${wrong}`, from);
      return;
    }
    case "alive":
      return await stillAlive(c, from);
    case "custom":
      return await e.check(c, from, ctx);
  }
}

/** A GOAWAY with one of `codes` (or, when allowed, none), then the connection closes. */
async function connectionError(c: H2RawClient, codes: readonly number[], from: number, goawayOptional: boolean): Promise<void> {
  const at = await c.until((f) => isGoaway(f) && errorCodeOf(f) !== ErrorCode.NO_ERROR, undefined, from);
  if (at === "closed" && goawayOptional) return;
  if (typeof at !== "number") {
    throw c.failure(`expected a connection error ${codes.map(codeName).join("/")}: ${at === "closed" ? "closed without GOAWAY" : "no GOAWAY in time"}`, from);
  }
  if (!codes.includes(errorCodeOf(c.frames[at]!) ?? -1)) throw c.failure(`expected GOAWAY(${codes.map(codeName).join("/")})`, from);
  await c.expectConnectionClosed();
}

/** The frame at `at` is a RST_STREAM or a GOAWAY: its code must be one of `codes`; a GOAWAY must be followed by the close. */
async function judgeError(c: H2RawClient, at: number | "closed" | "timeout", codes: readonly number[], from: number, what: string): Promise<void> {
  if (typeof at !== "number") throw c.failure(`expected a ${what}: ${at === "closed" ? "the connection closed without GOAWAY" : "nothing in time"}`, from);
  const f = c.frames[at]!;
  if (!codes.includes(errorCodeOf(f) ?? -1)) throw c.failure(`expected a ${what}`, from);
  if (isGoaway(f)) await c.expectConnectionClosed();
}

async function malformedRequest(c: H2RawClient, stream: number, forwardCheck: boolean, from: number, ctx: CaseContext): Promise<void> {
  const finalHead = (f: RawFrame) => f.type === FrameType.HEADERS && f.streamId === stream && Number(f.fields?.find(([n]) => n === ":status")?.[1] ?? 0) >= 200;
  const at = await c.until((f) => (f.type === FrameType.RST_STREAM && f.streamId === stream) || isGoaway(f) || finalHead(f), undefined, from);
  const what = `malformed request on stream ${stream} (PROTOCOL_ERROR or a 4xx)`;
  if (typeof at === "number" && c.frames[at]!.type === FrameType.HEADERS) {
    const status = Number(c.frames[at]!.fields!.find(([n]) => n === ":status")![1]);
    if (status < 400 || status >= 500) throw c.failure(`expected a ${what}, got status ${status}`, from);
  } else {
    await judgeError(c, at, [PROTOCOL_ERROR], from, what);
  }
  if (forwardCheck && ctx.backend.seen.has(ctx.path)) throw c.failure(`the malformed request was forwarded to the backend (${ctx.path})`, from);
}

/** A PING round trip with no GOAWAY or RST_STREAM before its ACK. */
async function stillAlive(c: H2RawClient, from: number): Promise<void> {
  const ack = await c.roundTrip(undefined, from);
  const bad = c.frames.slice(from, ack).find((f) => isGoaway(f) || f.type === FrameType.RST_STREAM);
  if (bad !== undefined) throw c.failure("expected the frame to be ignored (no GOAWAY, no RST_STREAM)", from);
}

// ---- small shared pieces of cases ----

/** Opens stream `id` with a POST whose body stays open (no END_STREAM): the stream is "open" on the server. */
export function openStream(c: H2RawClient, ctx: CaseContext, id = 1): void {
  c.sendHeaders(id, ctx.post(), { endStream: false });
}

/** Sends a whole GET on stream `id` and waits for its response: the stream is then "closed". */
export async function completeRequest(c: H2RawClient, ctx: CaseContext, id = 1): Promise<void> {
  const from = c.frames.length;
  c.sendHeaders(id, ctx.get());
  await c.expectResponse(id, undefined, from);
}
