/**
 * Preloaded into every server a benchmark starts (bench/lib.ts startServer):
 * on SIGUSR2 the server reports its own CPU time (process.cpuUsage, user +
 * system, µs) on stdout, so the benchmark reads CPU per operation from the
 * server itself at the start and the end of the measured window.
 */
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`cpu-usage ${user + system}\n`);
});
