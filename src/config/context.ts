// Turns a path in the raw document into the words a user recognises:
// ["backends","api","servers",0,"weight"] → ["backend 'api'", "server 'a1'"].
// Plain keywords (maxconn, mode...) get no part: their messages name them.

import { type PathSeg, PROXY_KINDS, type RawDoc } from "./raw.ts";

export function contextOf(path: readonly PathSeg[], doc: RawDoc): string[] {
  const parts: string[] = [];
  const [first, second] = path;
  let i = 1;
  if (first === "global" || first === "defaults") {
    parts.push(first);
  } else if (first === "userlists") {
    if (second === undefined) return parts;
    parts.push(`userlist '${second}'`);
    // Its users and groups: "users"/"groups" then a name or an index, read below.
    if ((path[2] === "users" || path[2] === "groups") && path[3] !== undefined) {
      const name = typeof path[3] === "number" ? serverName(doc, path.slice(0, 4)) : path[3];
      parts.push(`${path[2] === "users" ? "user" : "group"} '${name}'`);
    }
    return parts;
  } else if (first === "peers") {
    if (second !== undefined) parts.push(`peers '${second}'`);
    return parts;
  } else if (first === "resolvers") {
    if (second !== undefined) parts.push(`resolvers '${second}'`);
    return parts;
  } else if (first === "http-errors") {
    if (second !== undefined) parts.push(`http-errors '${second}'`);
    return parts;
  } else if (first === "caches") {
    if (second !== undefined) parts.push(`cache '${second}'`);
    return parts;
  } else if (typeof first === "string" && Object.hasOwn(PROXY_KINDS, first)) {
    if (second === undefined) return parts;
    parts.push(`${PROXY_KINDS[first as keyof typeof PROXY_KINDS]} '${second}'`);
    i = 2;
  } else {
    return parts;
  }
  for (; i < path.length; i++) {
    const seg = path[i];
    const next = path[i + 1];
    if (seg === "servers" && next !== undefined) {
      const name = typeof next === "number" ? serverName(doc, path.slice(0, i + 2)) : next;
      parts.push(`server '${name}'`);
      i++;
    } else if (seg === "timeout" && next !== undefined) {
      parts.push(`timeout ${next}`);
      i++;
    } else if (seg === "bind") {
      parts.push("bind");
      i++;
    }
  }
  return parts;
}

/** Servers (and userlist entries) given as a list carry their name inside the entry. */
function serverName(doc: RawDoc, path: readonly PathSeg[]): string {
  let node: unknown = doc;
  for (const p of path) {
    if (node === null || typeof node !== "object") break;
    node = (node as Record<PathSeg, unknown>)[p];
  }
  const name = node !== null && typeof node === "object"
    ? (node as { name?: unknown }).name
    : undefined;
  return typeof name === "string" || typeof name === "number" ? String(name) : `#${path.at(-1)}`;
}
