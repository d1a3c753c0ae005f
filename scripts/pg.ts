/**
 * `npm run pg:start` / `npm run pg:stop` / `npm run pg:status`: a local PostgreSQL for development,
 * from Debian's `postgresql` package (`sudo apt-get install -y postgresql`), kept in `.data/pg`
 * (git-ignored) on 127.0.0.1 (port PG_PORT, default 54329), with a database `seeds`. Prints the
 * DATABASE_URL to start the board with. The same cluster code as the tests (tests/helpers/postgres.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { adminQuery, asClusterUser, initCluster, pgBinDir, serverArgs } from '../tests/helpers/postgres';

const dir = path.resolve(process.env.PG_DIR || '.data/pg');
const port = Number(process.env.PG_PORT || 54329);
const database = 'seeds';
const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
const databaseUrl = `postgres://postgres@127.0.0.1:${port}/${database}`;

function pgCtl(bin: string, args: string[]): { status: number | null; output: string } {
  const [command, full] = asClusterUser(path.join(bin, 'pg_ctl'), args);
  const result = spawnSync(command, full, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

async function main(): Promise<void> {
  const action = process.argv[2];
  const bin = pgBinDir();
  if (!bin) throw new Error('PostgreSQL not found: sudo apt-get install -y postgresql');
  const data = path.join(dir, 'data');
  switch (action) {
    case 'start': {
      await initCluster(dir);
      if (pgCtl(bin, ['status', '-D', data]).status !== 0) {
        // pg_ctl starts the server in the background (it outlives this script) and waits until it is ready.
        const options = serverArgs(dir, port).slice(2).join(' ');
        const started = pgCtl(bin, ['start', '-w', '-D', data, '-l', path.join(dir, 'server.log'), '-o', options]);
        if (started.status !== 0) throw new Error(`pg_ctl start failed (see ${path.join(dir, 'server.log')}):\n${started.output}`);
      }
      const exists = await adminQuery(adminUrl, `SELECT 1 FROM pg_database WHERE datname = '${database}'`);
      if (exists.rowCount === 0) await adminQuery(adminUrl, `CREATE DATABASE ${database}`);
      console.log(`PostgreSQL runs from ${dir} on 127.0.0.1:${port}. Start the board on it with:\n\n  DATABASE_URL=${databaseUrl} npm start\n`);
      return;
    }
    case 'stop': {
      if (!existsSync(data) || pgCtl(bin, ['status', '-D', data]).status !== 0) {
        console.log('PostgreSQL is not running.');
        return;
      }
      const stopped = pgCtl(bin, ['stop', '-w', '-m', 'fast', '-D', data]);
      if (stopped.status !== 0) throw new Error(stopped.output);
      console.log(`PostgreSQL stopped (its data stays in ${dir}; remove that directory to start empty).`);
      return;
    }
    case 'status': {
      const status = existsSync(data) ? pgCtl(bin, ['status', '-D', data]) : { status: 3, output: 'no cluster yet' };
      console.log(status.status === 0 ? `running: DATABASE_URL=${databaseUrl}` : `not running (${status.output.split('\n')[0]})`);
      return;
    }
    default:
      throw new Error('usage: tsx scripts/pg.ts start|stop|status');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
