import dns from 'node:dns';

/**
 * Programmable answers for chosen hostnames, installed on the `node:dns` module itself so the
 * server's URL rules (dns.promises.lookup) and the sender's guard (dns.lookup) both see them.
 * Every other name goes to the real resolver. Install before the server starts: the guard takes
 * `dns.lookup` when it is created.
 */
export interface FakeDns {
  /** Answers `addresses` for `hostname` from now on. */
  set(hostname: string, addresses: string[]): void;
  /** Lookups of each faked name so far. */
  lookups: Map<string, number>;
  restore(): void;
}

export function installFakeDns(): FakeDns {
  const answers = new Map<string, string[]>();
  const lookups = new Map<string, number>();
  const realLookup = dns.lookup;
  const realPromisesLookup = dns.promises.lookup;
  const family = (address: string) => (address.includes(':') ? 6 : 4);
  const answer = (hostname: string) => {
    const key = hostname.toLowerCase().replace(/\.$/, '');
    const list = answers.get(key);
    if (list) lookups.set(key, (lookups.get(key) ?? 0) + 1);
    return list;
  };

  const fakeLookup = (hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, address?: unknown, family?: number) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    const list = answer(hostname);
    if (!list) return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
    process.nextTick(() => {
      if (opts.all) cb(null, list.map((address) => ({ address, family: family(address) })));
      else cb(null, list[0], family(list[0]!));
    });
  };
  const fakePromisesLookup = async (hostname: string, options?: { all?: boolean }) => {
    const list = answer(hostname);
    if (!list) return (realPromisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, options);
    return options?.all ? list.map((address) => ({ address, family: family(address) })) : { address: list[0], family: family(list[0]!) };
  };

  (dns as { lookup: unknown }).lookup = fakeLookup;
  (dns.promises as { lookup: unknown }).lookup = fakePromisesLookup;
  return {
    set: (hostname, addresses) => void answers.set(hostname.toLowerCase(), addresses),
    lookups,
    restore: () => {
      (dns as { lookup: unknown }).lookup = realLookup;
      (dns.promises as { lookup: unknown }).lookup = realPromisesLookup;
    },
  };
}
