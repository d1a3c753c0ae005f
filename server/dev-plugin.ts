import type { Server as HttpServer } from 'node:http';
import type { Plugin } from 'vite';

type Modules = {
  config: typeof import('./config');
  content: typeof import('./content');
  open: typeof import('./store/open');
  health: typeof import('./store/health');
  attach: typeof import('./realtime/attach');
  api: typeof import('./http/api');
};

/**
 * `npm run dev`: attaches the REST API, socket.io and the Yjs endpoint to
 * Vite's own HTTP server, so one command serves everything with hot reload.
 * The server modules load through Vite at dev time, so building never opens
 * a database and the config file stays small.
 */
export function boardDevServer(): Plugin {
  return {
    name: 'seeds-board-dev-server',
    apply: 'serve',
    async configureServer(vite) {
      if (!vite.httpServer) return;
      const load = <K extends keyof Modules>(file: string) => vite.ssrLoadModule(file) as Promise<Modules[K]>;
      const [{ configFromEnv, extraAllowedOrigins }, { loadFrameworks }, { openStore }, { StoreHealth }, { attachRealtime }, { mountBoardRoutes }, express] =
        await Promise.all([
          load<'config'>('/server/config.ts'),
          load<'content'>('/server/content.ts'),
          load<'open'>('/server/store/open.ts'),
          load<'health'>('/server/store/health.ts'),
          load<'attach'>('/server/realtime/attach.ts'),
          load<'api'>('/server/http/api.ts'),
          import('express')
        ]);
      const config = configFromEnv();
      const frameworks = loadFrameworks(config.contentDir);
      const opened = await openStore(config);
      const store = opened.store;
      const realtime = attachRealtime(vite.httpServer as HttpServer, {
        store,
        frameworks,
        allowedOrigins: extraAllowedOrigins(config),
        maxLiveSessions: config.maxLiveSessions,
        maxCommunitySessions: config.maxCommunitySessions,
        destroyUnknownUpgrades: false,
        publicUrl: config.publicUrl,
        trustProxy: config.trustProxy,
        codeGuessesPerMinute: config.codeGuessesPerMinute,
        connectionsPerPerson: config.connectionsPerPerson
      });
      const app = express.default();
      app.set('trust proxy', config.trustProxy === 'false' ? false : config.trustProxy);
      mountBoardRoutes(app, { realtime, frameworks, config, requests: realtime.requests, guesses: realtime.guesses, health: new StoreHealth(store), store });
      vite.middlewares.use(app);
      vite.httpServer.once('close', () => {
        void realtime.close().then(() => opened.close());
      });
    }
  };
}
