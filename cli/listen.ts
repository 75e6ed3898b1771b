/** Listening and closing an HTTP server the way every EMS process does. */
import type { Server } from 'node:http';
import type { Config } from './config.ts';

/** Listens on PORT/HOST; resolves with the port actually bound (PORT=0 picks one). */
export function listen(server: Server, config: Pick<Config, 'PORT' | 'HOST'>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : config.PORT);
    });
  });
}

/** Stops taking connections at once; resolves when the open ones have ended. */
export function closeListener(server: Server): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
