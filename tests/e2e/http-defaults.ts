// The `defaults` section the HTTP comparisons beside HAProxy start from:
// mode http and short timeouts (and `retries 0` where a refused connect must
// answer at once), so each test's config is only what it is about.

/** `defaults` in haproxy.cfg syntax, ending with a blank line. */
export function httpDefaults(options: { retries?: number } = {}): string {
  const retries = options.retries === undefined ? "" : `    retries ${options.retries}\n`;
  return `defaults\n    mode http\n${retries}    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\n`;
}
