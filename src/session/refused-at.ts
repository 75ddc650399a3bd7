// Where a refused response came from: the stream's backend and server, for
// `show errors`' record of it.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";

export interface RefusedAt {
  readonly backend: Backend;
  readonly server: Server | undefined;
}
