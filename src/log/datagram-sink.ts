// A syslog destination reached by datagrams (UDP, a unix socket such as
// /dev/log): one line per datagram, never waited for. A datagram the socket
// cannot take now (a slow receiver, a missing socket) is dropped and counted;
// the pool reports the count on stderr and in `show info` (DroppedLogs).
import type { DatagramSender } from "../runtime/types.ts";

export class DatagramSink {
  sent = 0;
  dropped = 0;
  private closed = false;

  constructor(
    /** For messages: "udp@127.0.0.1:514", "/dev/log". */
    readonly name: string,
    private readonly sender: DatagramSender,
    private readonly onDrop: (sink: DatagramSink) => void,
  ) {}

  send(bytes: Uint8Array): void {
    if (!this.closed && this.sender.send(bytes)) {
      this.sent++;
      return;
    }
    this.dropped++;
    this.onDrop(this);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sender.close();
  }
}
