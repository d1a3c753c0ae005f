// `npm start`: serves the production build, building it first when there is none.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('build/handler.js') || !existsSync('dist/server.js')) {
  console.log('No build found; building first (about a minute)…');
  const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
await import('../dist/server.js');
