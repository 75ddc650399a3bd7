// The demo's configuration: one TCP frontend balancing over the demo backends.
export function demoConfigYaml(port: number, backendPorts: number[]): string {
  const servers = backendPorts.map((p, i) => `      demo-${i + 1}: "127.0.0.1:${p}"`).join("\n");
  return `frontends:
  demo:
    bind: "127.0.0.1:${port}"
    mode: tcp
    default_backend: demo
backends:
  demo:
    mode: tcp
    balance: roundrobin
    servers:
${servers}
`;
}
