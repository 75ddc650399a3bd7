// libc under Deno, through Deno.dlopen (stable in Deno 2; needs --allow-ffi,
// which `-A` includes). The calls are those of LibcCalls.
import { UnsupportedSystemError } from "./libc-errors.ts";
import { libcCandidates, type LibcCalls } from "./libc.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setuid: { parameters: ["u32"], result: "i32" },
  setgid: { parameters: ["u32"], result: "i32" },
  setgroups: { parameters: ["usize", "buffer"], result: "i32" },
  chroot: { parameters: ["buffer"], result: "i32" },
  chdir: { parameters: ["buffer"], result: "i32" },
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setsid: { parameters: [], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  sched_setaffinity: { parameters: ["i32", "usize", "buffer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const ARCH: Readonly<Record<string, string>> = { x86_64: "x64", aarch64: "arm64" };

function openLibc() {
  const tried: string[] = [];
  const { os, arch } = Deno.build;
  for (const name of libcCandidates("deno", os, ARCH[arch] ?? arch)) {
    try {
      return Deno.dlopen(name, SYMBOLS);
    } catch (error) {
      tried.push(`${name}: ${(error as Error).message}`);
    }
  }
  throw new UnsupportedSystemError("deno", "libc through Deno.dlopen", `no libc could be loaded (${tried.join("; ")}); run deno with -A or --allow-ffi`);
}

export function denoLibc(): LibcCalls {
  const s = openLibc().symbols;
  return {
    socket: (domain, type, protocol) => s.socket(domain, type, protocol),
    sendto: (fd, bytes, length, flags, address, addressLength) =>
      Number(s.sendto(fd, bytes, BigInt(length), flags, address, addressLength)),
    close: (fd) => s.close(fd),
    connect: (fd, address, addressLength) => s.connect(fd, address, addressLength),
    setuid: (uid) => s.setuid(uid),
    setgid: (gid) => s.setgid(gid),
    setgroups: (count, list) => s.setgroups(BigInt(count), list),
    chroot: (path) => s.chroot(path),
    chdir: (path) => s.chdir(path),
    getrlimit: (resource, limit) => s.getrlimit(resource, limit),
    setrlimit: (resource, limit) => s.setrlimit(resource, limit),
    setsid: () => s.setsid(),
    open: (path, flags) => s.open(path, flags),
    dup2: (from, to) => s.dup2(from, to),
    write: (fd, bytes, length) => Number(s.write(fd, bytes, BigInt(length))),
    clock_gettime: (clock, time) => s.clock_gettime(clock, time),
    sched_setaffinity: (tid, mask) => s.sched_setaffinity(tid, BigInt(mask.length), mask),
    errno: () => new Deno.UnsafePointerView(s.__errno_location()!).getInt32(0),
  };
}
