// The process's id counters: one for client sessions, one for streams, one
// for backend connections, whatever their protocol — so that logs, the
// per-connection view and the runtime API never show two things under one id.
let session = 0;
let stream = 0;
let backendConn = 0;

export function nextSessionId(): number {
  return ++session;
}

export function nextStreamId(): number {
  return ++stream;
}

/** The number the next stream will take (a request's unique id is made just before its stream). */
export function nextStreamIdPeek(): number {
  return stream + 1;
}

export function nextBackendConnId(): number {
  return ++backendConn;
}
