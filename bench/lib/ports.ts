import { createServer } from 'node:net';

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it; 8000 is never chosen). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const address = srv.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 8000 && port !== 0) return port;
  }
  throw new Error('no free port found');
}
