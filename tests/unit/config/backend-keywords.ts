// The keywords a backend section takes, in the order sluice lists them when it
// meets an unknown one (model.ts's BACKEND): one place for the tests that
// check that message.
export const BACKEND_KEYWORDS =
  "fullconn, source, mode, balance, hash-type, hash-balance-factor, servers, retries, retry-on, timeout, option, log, log-tag, description, errorfile, http-error, errorfiles, errorloc, errorloc302, errorloc303, http-reuse, http-check, tcp-check, external-check, cookie, stick-table, load-server-state-from-file, server-state-file, compression, filter, stats, acl, use-server, stick, http-request, http-response, http-after-response, redirect, tcp-request, force-persist, ignore-persist";
