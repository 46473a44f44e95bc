// Loopback port helpers. All servers in the harness bind 127.0.0.1 only.
import net from 'node:net';
import { HarnessError } from './errors.js';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise<void>((r) => server.close(() => r()));

/**
 * `count` distinct free ports. All are held open until every one is chosen, so they cannot repeat; a
 * small race remains between closing them and the JVM binding them, which startKafka handles by retrying.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function assertPortFree(port: number): Promise<void> {
  try {
    await close(await listen(port));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code})`;
    throw new HarnessError(
      `Port ${port} on 127.0.0.1 ${why}. Stop whatever is listening there (for example another Kafka) or choose another port.`,
    );
  }
}
