// systemd's notify protocol (sd_notify(3)): when the service manager set
// $NOTIFY_SOCKET, state changes go to it as one datagram each, as HAProxy's
// master sends them: READY=1 with MAINPID once serving (again after each
// reload, failed or not, or systemd would wait in "reloading"), RELOADING=1
// with MONOTONIC_USEC (Type=notify-reload, systemd 253+, requires it) when a
// reload begins, STOPPING=1 when a stop begins.
import type { DatagramSender, NotifyOutcome, ServiceState } from "./types.ts";

export function notifyMessage(state: ServiceState, pid: number, monotonicMicros: bigint): string {
  switch (state) {
    case "ready":
      return `READY=1\nMAINPID=${pid}\nSTATUS=Ready.\n`;
    case "reloading":
      return `RELOADING=1\nSTATUS=Reloading Configuration.\nMONOTONIC_USEC=${monotonicMicros}\n`;
    case "stopping":
      return "STOPPING=1\nSTATUS=Stopping.\n";
  }
}

export interface NotifyHost {
  readonly pid: number;
  env(name: string): string | undefined;
  /** A datagram socket connected to `path` (so that a chroot afterwards does not hide it). */
  connectUnixDatagram(path: string): DatagramSender;
  monotonicMicros(): bigint;
}

/** The notify socket, opened on the first message (a process never told to notify opens nothing). */
export class ServiceNotifier {
  #sender: DatagramSender | undefined;
  readonly #encoder = new TextEncoder();
  constructor(readonly host: NotifyHost) {}

  /** Opens the socket now, if there is one to open: before a chroot. */
  connect(): NotifyOutcome {
    const path = this.host.env("NOTIFY_SOCKET");
    if (path === undefined || path === "") return "off";
    this.#sender ??= this.host.connectUnixDatagram(path);
    return "sent";
  }

  notify(state: ServiceState): NotifyOutcome {
    if (this.connect() === "off") return "off";
    const message = notifyMessage(state, this.host.pid, state === "reloading" ? this.host.monotonicMicros() : 0n);
    return this.#sender!.send(this.#encoder.encode(message)) ? "sent" : "dropped";
  }
}
