// Port helpers for the local stack (Kafka, PostgreSQL).
import net from 'node:net';

/** Try to bind 127.0.0.1:port; resolves true if that worked (port free). */
function canListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Throw a clear Error if something already listens on `port` (on 127.0.0.1 or
 * on all interfaces). `hint` tells the user how to get around it.
 */
export async function assertPortFree(port, hint = '') {
  if (!(await canListen(port))) {
    throw new Error(`port ${port} is already in use${hint ? ` — ${hint}` : ''}`);
  }
}

/** A port that is free right now (the OS picks it; racy by nature, good enough locally). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
