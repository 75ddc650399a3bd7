// A unix datagram socket a test binds (python3 plays it: neither runtime can
// bind one), printing each datagram it receives as a JSON line. Plays syslog's
// /dev/log and systemd's NOTIFY_SOCKET ('@name': the abstract namespace).
// `reading: false` binds and never reads: its queue fills, senders must drop.

const RECEIVER = `
import json, socket, sys, time
path, reading = sys.argv[1], sys.argv[2] == "1"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\\0" + path[1:] if path.startswith("@") else path)
print(json.dumps({"bound": path}), flush=True)
while True:
    if not reading:
        time.sleep(3600)
    data = s.recv(65536)
    print(json.dumps({"datagram": data.decode("utf-8", "replace")}), flush=True)
`;

export interface DatagramReceiver {
  readonly path: string;
  /** The datagrams received so far, as text. */
  readonly datagrams: string[];
  /** Resolves once `count` datagrams arrived (rejects after `ms`). */
  waitFor(count: number, ms: number): Promise<string[]>;
  /** Resolves once a datagram equal to `text` arrived (rejects after `ms`). */
  waitForText(text: string, ms: number): Promise<void>;
  close(): void;
}

export async function bindDatagramReceiver(path: string, reading = true): Promise<DatagramReceiver> {
  const proc = Bun.spawn(["python3", "-c", RECEIVER, path, reading ? "1" : "0"], { stdout: "pipe", stderr: "inherit" });
  const datagrams: string[] = [];
  let bound!: () => void;
  const isBound = new Promise<void>((r) => (bound = r));
  (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return;
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        const msg = JSON.parse(line) as { bound?: string; datagram?: string };
        if (msg.bound !== undefined) bound();
        if (msg.datagram !== undefined) datagrams.push(msg.datagram);
      }
    }
  })();
  const timeout = setTimeout(() => proc.kill(), 10_000);
  await Promise.race([isBound, proc.exited.then((c) => Promise.reject(new Error(`receiver exited ${c}`)))]);
  clearTimeout(timeout);
  return {
    path,
    datagrams,
    async waitFor(count: number, ms: number): Promise<string[]> {
      const end = Date.now() + ms;
      while (datagrams.length < count) {
        if (Date.now() > end) throw new Error(`${datagrams.length} of ${count} datagrams after ${ms} ms: ${JSON.stringify(datagrams)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return datagrams;
    },
    async waitForText(text: string, ms: number): Promise<void> {
      const end = Date.now() + ms;
      while (!datagrams.includes(text)) {
        if (Date.now() > end) throw new Error(`no datagram '${text}' after ${ms} ms: ${JSON.stringify(datagrams)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => proc.kill(),
  };
}
