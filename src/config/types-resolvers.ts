// The `resolvers` sections' shapes in the configuration (schema-resolvers.ts
// reads them; check/resolution.ts uses them). types.ts re-exports them.

export interface Nameserver {
  name: string;
  host: string;
  port: number;
}

export type HoldName = "valid" | "other" | "refused" | "nx" | "timeout" | "obsolete";

export interface ResolversConfig {
  name: string;
  nameservers: Nameserver[];
  /** Queries sent for one resolution before it fails (a timeout). */
  resolveRetries: number;
  /** ms between two resolutions while the answer is not valid (`timeout resolve`). */
  timeoutResolve: number;
  /** ms to wait for an answer before the query is sent again (`timeout retry`). */
  timeoutRetry: number;
  /** ms a status is kept: `valid` between two resolutions of a valid answer; the others before the server goes to maintenance. */
  hold: Record<HoldName, number>;
  /** The UDP payload announced (EDNS0), bytes; 512: none. */
  acceptedPayloadSize: number;
  /** Where the section starts. */
  origin: { file?: string; line?: number; col?: number };
}
