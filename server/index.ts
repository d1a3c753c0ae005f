import { configFromEnv } from './config';
import { createServer } from './app';

/** Starts the board from environment settings; the only place that listens. */
async function main(): Promise<void> {
  const config = configFromEnv();
  const server = await createServer(config);
  console.log(
    `Seeds of Innovation live board on ${config.publicUrl ?? `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${server.port}`} (data in ${server.storeLocation})`
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: draining connections and closing the database…`);
    server.close().then(
      () => process.exit(0),
      (error) => {
        console.error('Shutdown failed', error);
        process.exit(1);
      }
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
