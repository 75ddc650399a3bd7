// `http-check send-state`: the X-Haproxy-Server-State value each check
// request carries, as HAProxy 2.6 writes it (servers parse it, so the words
// and their order are HAProxy's):
//   UP 2/3; address=10.0.0.1; port=8080; name=bck/srv2; node=lb1; weight=1/2; scur=13/22; qcur=0
// The state is the stats page's (DOWN, DOWN n/rise, UP n/fall, UP, NOLB n/fall,
// NOLB); weight is the server's against the backend's total of usable
// servers; scur its sessions against the backend's; throttle while
// slowstart ramps it.
import type { Backend } from "../backend/backend.ts";
import type { Server } from "../backend/server.ts";

function health(server: Server): string {
  const st = server.state;
  if (st.op === "DOWN") return st.health > 0 ? `DOWN ${st.health}/${st.rise}` : "DOWN";
  const word = st.stopping ? "NOLB" : "UP";
  return st.full ? word : `${word} ${st.health - st.rise + 1}/${st.fall}`;
}

/** The total weight the balancer shares among: usable active servers, else usable backups (HAProxy's tot_weight). */
function totalWeight(backend: Backend): number {
  let active = 0;
  let backup = 0;
  for (const s of backend.servers) if (s.usable) s.backup ? (backup += s.weight) : (active += s.weight);
  return active > 0 ? active : backup;
}

export function serverStateValue(server: Server, backend: Backend, node: string, now: number): string {
  let value = `${health(server)}; address=${server.address}; port=${server.port}; name=${backend.name}/${server.name}; node=${node}` +
    `; weight=${server.weight}/${totalWeight(backend)}; scur=${server.current}/${backend.current}; qcur=${server.queued}`;
  const ramp = server.slowstart;
  if (ramp > 0 && server.upSince >= 0 && now - server.upSince < ramp && server.state.op === "UP") {
    value += `; throttle=${Math.max(1, Math.floor((100 * (now - server.upSince)) / ramp))}%`;
  }
  return value;
}
