// libc under Bun, through bun:ffi (works in the `bun build --compile` binary
// too: tests/e2e/process.test.ts runs there). The calls are those of LibcCalls.
import { dlopen, FFIType, read } from "bun:ffi";
import { UnsupportedSystemError } from "./libc-errors.ts";
import { libcCandidates, type LibcCalls } from "./libc.ts";

const { i32, u32, ptr, u64, i64_fast } = FFIType;

const SYMBOLS = {
  socket: { args: [i32, i32, i32], returns: i32 },
  sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64_fast },
  close: { args: [i32], returns: i32 },
  connect: { args: [i32, ptr, u32], returns: i32 },
  setuid: { args: [u32], returns: i32 },
  setgid: { args: [u32], returns: i32 },
  setgroups: { args: [u64, ptr], returns: i32 },
  chroot: { args: [ptr], returns: i32 },
  chdir: { args: [ptr], returns: i32 },
  getrlimit: { args: [i32, ptr], returns: i32 },
  setrlimit: { args: [i32, ptr], returns: i32 },
  setsid: { args: [], returns: i32 },
  open: { args: [ptr, i32], returns: i32 },
  dup2: { args: [i32, i32], returns: i32 },
  write: { args: [i32, ptr, u64], returns: i64_fast },
  clock_gettime: { args: [i32, ptr], returns: i32 },
  sched_setaffinity: { args: [i32, u64, ptr], returns: i32 },
  __errno_location: { args: [], returns: ptr },
} as const;

function openLibc() {
  const tried: string[] = [];
  for (const name of libcCandidates("bun", process.platform, process.arch)) {
    try {
      return dlopen(name, SYMBOLS);
    } catch (error) {
      tried.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new UnsupportedSystemError("bun", "libc through bun:ffi", `no libc could be loaded (${tried.join("; ")})`);
}

export function bunLibc(): LibcCalls {
  const s = openLibc().symbols;
  return {
    socket: (domain, type, protocol) => s.socket(domain, type, protocol),
    sendto: (fd, bytes, length, flags, address, addressLength) =>
      Number(s.sendto(fd, bytes, length, flags, address, addressLength)),
    close: (fd) => s.close(fd),
    connect: (fd, address, addressLength) => s.connect(fd, address, addressLength),
    setuid: (uid) => s.setuid(uid),
    setgid: (gid) => s.setgid(gid),
    setgroups: (count, list) => s.setgroups(count, list),
    chroot: (path) => s.chroot(path),
    chdir: (path) => s.chdir(path),
    getrlimit: (resource, limit) => s.getrlimit(resource, limit),
    setrlimit: (resource, limit) => s.setrlimit(resource, limit),
    setsid: () => s.setsid(),
    open: (path, flags) => s.open(path, flags),
    dup2: (from, to) => s.dup2(from, to),
    write: (fd, bytes, length) => Number(s.write(fd, bytes, length)),
    clock_gettime: (clock, time) => s.clock_gettime(clock, time),
    sched_setaffinity: (tid, mask) => s.sched_setaffinity(tid, mask.length, mask),
    errno: () => read.i32(s.__errno_location()!, 0),
  };
}
