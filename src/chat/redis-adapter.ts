import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { RedisLink } from '../redis/link.js';

/**
 * Shares rooms across instances through Redis pub/sub. The channels carry the link's namespace,
 * so two sites on one Redis never see each other's rooms.
 */
export async function attachRedisAdapter(io: Server, link: RedisLink): Promise<void> {
  const [pub, sub] = await link.pubSub();
  // The adapter fires publish() and forgets the promise; one in flight as Redis goes away fails,
  // and must not become an unhandled rejection that ends the process. That broadcast still
  // reached this instance's sockets (later ones wait in the offline queue for Redis).
  const publish = pub.publish.bind(pub);
  Object.defineProperty(pub, 'publish', {
    value: (...args: Parameters<typeof publish>) => {
      const sent = publish(...args);
      sent.catch(() => {});
      return sent;
    },
  });
  io.adapter(createAdapter(pub, sub, { key: `${link.namespace}socket.io` }));
}
