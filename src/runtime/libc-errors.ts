// Errors of the libc calls behind the runtime adapter (libc-*.ts): each names
// the call, the errno by its name (EPERM, ENOENT...) and what it was about, so
// that a log line says why `user`, `chroot` or `log /dev/log` failed.

/** Linux's errno numbers (x86-64 and arm64 agree) for the names sluice's callers may meet. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 9: "EBADF",
  11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 16: "EBUSY", 17: "EEXIST", 20: "ENOTDIR",
  21: "EISDIR", 22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 28: "ENOSPC", 30: "EROFS", 32: "EPIPE",
  36: "ENAMETOOLONG", 40: "ELOOP", 88: "ENOTSOCK", 90: "EMSGSIZE", 91: "EPROTOTYPE", 93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP", 97: "EAFNOSUPPORT", 98: "EADDRINUSE", 99: "EADDRNOTAVAIL", 105: "ENOBUFS",
  106: "EISCONN", 107: "ENOTCONN", 111: "ECONNREFUSED",
};

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `errno ${errno}`;
}

/** A libc call that returned an error: `code` is the errno's name. */
export class SystemCallError extends Error {
  readonly code: string;
  constructor(
    readonly call: string,
    readonly errno: number,
    /** What the call was about: a path, a user id. */
    readonly subject: string,
  ) {
    const code = errnoName(errno);
    super(`${call}(${subject}) failed: ${code}`);
    this.name = "SystemCallError";
    this.code = code;
  }
}

/** The runtime or the platform cannot do this at all (no libc to load, not Linux). */
export class UnsupportedSystemError extends Error {
  constructor(readonly runtime: string, readonly what: string, reason: string) {
    super(`${what} is not available on ${runtime}: ${reason}`);
    this.name = "UnsupportedSystemError";
  }
}
