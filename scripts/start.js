// `npm start`: serves the production build, building it first when there is none.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';

if (!existsSync('build/handler.js') || !existsSync('dist/server.js')) {
  console.log('No build found; building first (about a minute)…');
  // The build's own output is for developers (it even suggests `npm run preview`, which is not how this app runs):
  // kept, and shown only if the build fails.
  const started = Date.now();
  const output = [];
  const build = spawn('npm', ['run', 'build'], { stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
  build.stdout.on('data', (chunk) => output.push(chunk));
  build.stderr.on('data', (chunk) => output.push(chunk));
  const progress = setInterval(() => console.log(`  still building… ${Math.round((Date.now() - started) / 1000)} s`), 15_000);
  const status = await new Promise((resolve) => build.on('close', (code) => resolve(code ?? 1)));
  clearInterval(progress);
  if (status !== 0) {
    process.stderr.write(Buffer.concat(output));
    console.error(`The build failed (exit ${status}); its output is above.`);
    process.exit(status);
  }
  console.log(`Built in ${Math.round((Date.now() - started) / 1000)} s.`);
}
await import('../dist/server.js');
