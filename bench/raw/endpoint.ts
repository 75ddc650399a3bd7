/** Where the raw forwarder listens, and where it forwards to. */
export interface Endpoint {
  hostname: string;
  port: number;
}
