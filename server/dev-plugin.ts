import type { Server as HttpServer } from 'node:http';
import path from 'node:path';
import type { Plugin } from 'vite';

/**
 * `npm run dev`: attaches the REST API, socket.io and the Yjs endpoint to
 * Vite's own HTTP server, so one command serves everything with hot reload.
 * Loaded lazily so that building the client never opens a database.
 */
export function boardDevServer(): Plugin {
  return {
    name: 'seeds-board-dev-server',
    apply: 'serve',
    async configureServer(vite) {
      if (!vite.httpServer) return;
      const [{ configFromEnv }, { loadFrameworks }, { SqliteStore }, { attachRealtime }, { createApiRouter }, express] = await Promise.all([
        import('./config'),
        import('./content'),
        import('./store/sqlite'),
        import('./realtime/attach'),
        import('./http/api'),
        import('express')
      ]);
      const config = configFromEnv();
      const frameworks = loadFrameworks(config.contentDir);
      const store = new SqliteStore({ dataDir: path.resolve(config.dataDir), synchronous: config.synchronous });
      const realtime = attachRealtime(vite.httpServer as HttpServer, {
        store,
        frameworks,
        allowedOrigins: config.allowedOrigins,
        maxLiveSessions: config.maxLiveSessions,
        destroyUnknownUpgrades: false
      });
      const app = express.default();
      app.set('trust proxy', 'loopback');
      app.use(
        '/api',
        createApiRouter({ registry: realtime.registry, yjs: realtime.yjs, frameworks, publicUrl: config.publicUrl, maxParticipants: config.maxParticipants, joinsPerMinute: config.joinsPerMinute })
      );
      app.get('/healthz', (_req, res) => {
        res.json({ ok: true });
      });
      vite.middlewares.use(app);
      vite.httpServer.once('close', () => {
        void realtime.close().then(() => store.close());
      });
    }
  };
}
