import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * How a cut looks to the server behind the proxy:
 * - `refuse`: the port closes, so connects fail at once with ECONNREFUSED (a stopped database);
 * - `blackhole`: connects are accepted and never answered (a network partition: only timeouts tell).
 * Either way every open connection is destroyed.
 */
export type CutMode = 'refuse' | 'blackhole';

export interface TcpProxy {
  port: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  cut(mode?: CutMode): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of `target`, which a test cuts and restores to make the
 * database unreachable for this one server without touching the MariaDB other tests share.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let mode: CutMode | null = null;
  let accepted = 0;
  let server: Server;

  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const onConnection = (client: Socket) => {
    accepted++;
    track(client);
    if (mode === 'blackhole') return;
    const upstream = createConnection(target);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  };

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer(onConnection);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));

  const port = await listen(0);
  return {
    port,
    get accepted() {
      return accepted;
    },
    async cut(how: CutMode = 'refuse') {
      mode = how;
      const closing = how === 'refuse' ? stopListening() : Promise.resolve();
      for (const socket of open) socket.destroy();
      await closing;
    },
    async restore() {
      const wasRefusing = mode === 'refuse';
      mode = null;
      for (const socket of open) socket.destroy();
      if (wasRefusing) await listen(port);
    },
    async close() {
      mode = 'refuse';
      const closing = stopListening();
      for (const socket of open) socket.destroy();
      await closing;
    },
  };
}
