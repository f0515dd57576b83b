/**
 * Room names. Pushes go to rooms, never to socket ids, so the Redis adapter carries them to
 * whichever instance holds the socket.
 */

/** Every tab of one visitor (`/widget`). */
export const visitorRoom = (visitorId: number) => `visitor:${visitorId}`;

/** Every connected agent (`/agent`): they all see every conversation. */
export const AGENTS_ROOM = 'agents';
