// The PROXY protocol v1 line a server with `send-proxy` gets first on every
// connection: the client's address and the address it connected to. The line
// is also the connection's reuse key (invariant 12): a connection that told
// the server one client address must never carry another client's request.

function plainV4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** `PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n`, or `PROXY UNKNOWN\r\n` when the families differ. */
export function proxyHeaderV1(srcAddress: string, srcPort: number, dstAddress: string, dstPort: number): string {
  const src = plainV4(srcAddress);
  const dst = plainV4(dstAddress);
  const v6 = src.includes(":");
  if (v6 !== dst.includes(":")) return "PROXY UNKNOWN\r\n";
  return `PROXY ${v6 ? "TCP6" : "TCP4"} ${src} ${dst} ${srcPort} ${dstPort}\r\n`;
}
