// The libc calls sluice makes through FFI (bun:ffi on Bun, Deno.dlopen on
// Deno: libc-bun.ts, libc-deno.ts) and what is built on them once for both
// runtimes: unix datagram sockets (syslog's /dev/log, systemd's
// NOTIFY_SOCKET), and the process keywords' user and group ids, chroot, file
// limit, session and stdio. Neither runtime offers these in its stable API.
// Linux only: the constants and struct layouts below are Linux's (x86-64 and
// arm64 alike); elsewhere loading fails with an UnsupportedSystemError.
//
// The identity calls go through libc's wrappers, never raw syscalls: on
// Linux credentials belong to each thread, and glibc's and musl's setuid()
// family changes them on every thread of the process (the runtimes' own
// threads included), which a raw syscall would not.
import { readdirSync, readlinkSync } from "node:fs";
import { SystemCallError, UnsupportedSystemError } from "./libc-errors.ts";
import type { DatagramSender, FileLimit } from "./types.ts";

/** The raw calls, as each runtime's FFI binds them. Strings are NUL-terminated bytes. */
export interface LibcCalls {
  socket(domain: number, type: number, protocol: number): number;
  /** `address` null with length 0: a connected socket's peer. */
  sendto(fd: number, bytes: Uint8Array, length: number, flags: number, address: Uint8Array | null, addressLength: number): number;
  close(fd: number): number;
  connect(fd: number, address: Uint8Array, addressLength: number): number;
  setuid(uid: number): number;
  setgid(gid: number): number;
  /** `list`: gid_t (u32) values; null with count 0 clears them. */
  setgroups(count: number, list: Uint8Array | null): number;
  chroot(path: Uint8Array): number;
  chdir(path: Uint8Array): number;
  /** `limit`: struct rlimit, two u64 (current, maximum). */
  getrlimit(resource: number, limit: Uint8Array): number;
  setrlimit(resource: number, limit: Uint8Array): number;
  setsid(): number;
  open(path: Uint8Array, flags: number): number;
  dup2(from: number, to: number): number;
  write(fd: number, bytes: Uint8Array, length: number): number;
  /** `time`: struct timespec, two i64 (seconds, nanoseconds). */
  clock_gettime(clock: number, time: Uint8Array): number;
  /** `mask`: a cpu_set_t (bit N of byte N/8 is CPU N), its length the size passed. */
  sched_setaffinity(tid: number, mask: Uint8Array): number;
  /** The calling thread's errno, read right after a call returned -1. */
  errno(): number;
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const RLIMIT_NOFILE = 7;
const O_RDWR = 2;
const CLOCK_MONOTONIC = 1;
/** sizeof(cpu_set_t) in glibc and musl: 1024 CPUs. */
const CPU_SET_BYTES = 128;
const ESRCH = 3;
/** sizeof(struct sockaddr_un.sun_path) on Linux. */
const SUN_PATH_BYTES = 108;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;

/** The shared objects that are libc: glibc's, then musl's (its loader is its libc). */
export const LIBC_NAMES: Readonly<Record<string, readonly string[]>> = {
  x64: ["libc.so.6", "libc.musl-x86_64.so.1", "/lib/ld-musl-x86_64.so.1"],
  arm64: ["libc.so.6", "libc.musl-aarch64.so.1", "/lib/ld-musl-aarch64.so.1"],
};

/** The libc names to try on this platform, or why there is none to load. */
export function libcCandidates(runtime: string, platform: string, arch: string): readonly string[] {
  const names = LIBC_NAMES[arch];
  if (platform !== "linux" || names === undefined) {
    throw new UnsupportedSystemError(runtime, "libc through FFI", `sluice calls Linux's libc only (this is ${platform}-${arch})`);
  }
  return names;
}

const encoder = new TextEncoder();

function cString(text: string): Uint8Array {
  const bytes = new Uint8Array(encoder.encode(text).length + 1);
  encoder.encodeInto(text, bytes);
  return bytes;
}

/**
 * struct sockaddr_un for `path`, and its length. A path starting with '@' is
 * Linux's abstract namespace (systemd's NOTIFY_SOCKET may be one): a leading
 * NUL and no terminating one.
 */
export function unixAddress(path: string): { bytes: Uint8Array; length: number } {
  const abstract = path.startsWith("@");
  const name = encoder.encode(abstract ? path.slice(1) : path);
  if (name.length === 0) throw new SystemCallError("sockaddr_un", 22, `'${path}': an empty socket path`);
  // Either a leading NUL (abstract) or a terminating one (a path) takes one byte.
  const room = SUN_PATH_BYTES - 1;
  if (name.length > room) throw new SystemCallError("sockaddr_un", 36, `'${path}': longer than ${room} bytes`);
  const bytes = new Uint8Array(2 + SUN_PATH_BYTES);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true);
  bytes.set(name, abstract ? 3 : 2);
  return { bytes, length: abstract ? 3 + name.length : 2 + name.length + 1 };
}

/** A unix datagram socket that sends to one address, never waiting (HAProxy's log sockets). */
class UnixDatagramSender implements DatagramSender {
  #fd: number;
  readonly #address: { bytes: Uint8Array; length: number } | undefined;
  constructor(readonly libc: LibcCalls, readonly path: string, connected: boolean) {
    const address = unixAddress(path);
    const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new SystemCallError("socket", libc.errno(), `AF_UNIX, SOCK_DGRAM for ${path}`);
    if (connected && libc.connect(fd, address.bytes, address.length) < 0) {
      const errno = libc.errno();
      libc.close(fd);
      throw new SystemCallError("connect", errno, path);
    }
    this.#fd = fd;
    this.#address = connected ? undefined : address;
  }

  // Unconnected, addressed on every send: a receiver that restarts (syslog's
  // /dev/log made anew) is reached again without a reopen, and the path is
  // looked up in the root of the moment (HAProxy's /dev/log inside a chroot).
  // Connected: the peer found at open stays, whatever chroot follows.
  send(bytes: Uint8Array): boolean {
    if (this.#fd < 0) return false;
    const a = this.#address;
    const flags = MSG_DONTWAIT | MSG_NOSIGNAL;
    const sent = a === undefined
      ? this.libc.sendto(this.#fd, bytes, bytes.length, flags, null, 0)
      : this.libc.sendto(this.#fd, bytes, bytes.length, flags, a.bytes, a.length);
    return sent >= 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    this.libc.close(this.#fd);
    this.#fd = -1;
  }
}

/** Descriptors above 2 open on the same pipe, socket or terminal as stdin, stdout or stderr (/proc/self/fd). */
function stdioCopies(): number[] {
  const target = (fd: string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return undefined;
    }
  };
  const std = new Set(["0", "1", "2"].map(target).filter((t) => t !== undefined && /^(pipe|socket):|^\/dev\/(pts|tty)/.test(t)));
  const copies: number[] = [];
  for (const entry of readdirSync("/proc/self/fd")) {
    if (Number(entry) > 2 && std.has(target(entry))) copies.push(Number(entry));
  }
  return copies;
}

function toLimit(value: bigint): number {
  return value === RLIM_INFINITY ? Infinity : Number(value);
}

function fromLimit(value: number): bigint {
  return value === Infinity ? RLIM_INFINITY : BigInt(Math.floor(value));
}

/** The System methods built on libc; `load` binds it on first use (`sluice check` never does). */
export class LibcSystem {
  #libc: LibcCalls | undefined;
  constructor(readonly load: () => LibcCalls) {}

  get libc(): LibcCalls {
    this.#libc ??= this.load();
    return this.#libc;
  }

  #check(result: number, call: string, subject: string): void {
    if (result < 0) throw new SystemCallError(call, this.libc.errno(), subject);
  }

  openUnixDatagram(path: string): DatagramSender {
    return new UnixDatagramSender(this.libc, path, false);
  }

  /** Connected at once to the socket at `path` (which must exist): chroot cannot hide it later. */
  connectUnixDatagram(path: string): DatagramSender {
    return new UnixDatagramSender(this.libc, path, true);
  }

  setGroups(gids: readonly number[]): void {
    const list = new Uint8Array(gids.length * 4);
    const view = new DataView(list.buffer);
    gids.forEach((gid, i) => view.setUint32(i * 4, gid, true));
    this.#check(this.libc.setgroups(gids.length, gids.length === 0 ? null : list), "setgroups", `[${gids.join(",")}]`);
  }

  setGid(gid: number): void {
    this.#check(this.libc.setgid(gid), "setgid", String(gid));
  }

  setUid(uid: number): void {
    this.#check(this.libc.setuid(uid), "setuid", String(uid));
  }

  /** chroot(dir) then chdir("/"), as HAProxy does: no directory outside the jail stays current. */
  chroot(dir: string): void {
    this.#check(this.libc.chroot(cString(dir)), "chroot", dir);
    this.#check(this.libc.chdir(cString("/")), "chdir", "/");
  }

  fileLimit(): FileLimit {
    const raw = new Uint8Array(16);
    this.#check(this.libc.getrlimit(RLIMIT_NOFILE, raw), "getrlimit", "RLIMIT_NOFILE");
    const view = new DataView(raw.buffer);
    return { soft: toLimit(view.getBigUint64(0, true)), hard: toLimit(view.getBigUint64(8, true)) };
  }

  setFileLimit(limit: FileLimit): void {
    const raw = new Uint8Array(16);
    const view = new DataView(raw.buffer);
    view.setBigUint64(0, fromLimit(limit.soft), true);
    view.setBigUint64(8, fromLimit(limit.hard), true);
    this.#check(this.libc.setrlimit(RLIMIT_NOFILE, raw), "setrlimit", `RLIMIT_NOFILE ${limit.soft}/${limit.hard}`);
  }

  /**
   * Pins every thread of this process to `cpus` (sched_setaffinity on each
   * task of /proc/self/task): the runtime's own threads (its collector's, its
   * pool's) run beside the event loop and would otherwise move freely; threads
   * started later inherit the set from the thread that starts them.
   */
  setCpuAffinity(cpus: readonly number[]): void {
    const mask = new Uint8Array(CPU_SET_BYTES);
    for (const cpu of cpus) mask[cpu >> 3]! |= 1 << (cpu & 7);
    for (const task of readdirSync("/proc/self/task")) {
      const result = this.libc.sched_setaffinity(Number(task), mask);
      // A thread that ended since the listing (ESRCH) has nothing left to pin.
      if (result < 0 && this.libc.errno() !== ESRCH) throw new SystemCallError("sched_setaffinity", this.libc.errno(), `CPUs ${cpus.join(",")}`);
    }
  }

  newSession(): void {
    this.#check(this.libc.setsid(), "setsid", "");
  }

  /** CLOCK_MONOTONIC in microseconds: the clock systemd's MONOTONIC_USEC reads (performance.now() starts elsewhere). */
  monotonicMicros(): bigint {
    const raw = new Uint8Array(16);
    this.#check(this.libc.clock_gettime(CLOCK_MONOTONIC, raw), "clock_gettime", "CLOCK_MONOTONIC");
    const view = new DataView(raw.buffer);
    return view.getBigInt64(0, true) * 1_000_000n + view.getBigInt64(8, true) / 1000n;
  }

  /**
   * Opens /dev/null now (before a chroot hides it); the function returned
   * points stdin, stdout and stderr at it (a daemon keeps no terminal), and
   * every other descriptor open on the same terminal, pipe or socket: Deno
   * keeps copies of its stdout and stderr (fds 18 and 19 here, measured),
   * which would hold the starting command's pipe open for the daemon's life.
   */
  devNullStdio(): () => void {
    const copies = stdioCopies();
    const fd = this.libc.open(cString("/dev/null"), O_RDWR);
    this.#check(fd, "open", "/dev/null");
    return () => {
      for (const std of [0, 1, 2, ...copies]) this.#check(this.libc.dup2(fd, std), "dup2", `/dev/null → ${std}`);
      if (fd > 2) this.libc.close(fd);
    };
  }


}
