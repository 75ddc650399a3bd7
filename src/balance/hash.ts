// The hash of a request's key (client address, URI, parameter, header):
// FNV-1a over the string then a murmur3 finaliser, so that neighbouring keys
// (10.0.0.1, 10.0.0.2) land far apart on a ring or a map. 32 bits, unsigned.

export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's fmix32: every input bit moves about half the output bits. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
