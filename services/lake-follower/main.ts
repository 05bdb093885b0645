/**
 * The devnet's stand-in for the follower's Lambda schedule (the devnet tests run it as a process): every
 * `SCHEDULE_INTERVAL_MS` it starts a run, as EventBridge invokes the function every minute, and gives each
 * run `RUN_MS`, as the function's timeout does; the runs take turns through the lease (./scheduled-run.ts).
 * SIGINT/SIGTERM stops every run: the one following writes its checkpoint and gives the lease up.
 */
import { pathToFileURL } from 'node:url';
import { loadLakeFollowerConfig } from './config.js';
import { createScheduledFollower } from './follow.js';

export async function runLocalSchedule(environment: Readonly<Record<string, string | undefined>>, signal: AbortSignal): Promise<void> {
  const config = loadLakeFollowerConfig(environment);
  const follower = createScheduledFollower(config, environment);
  const runs = new Set<Promise<void>>();
  let invocations = 0;
  const invoke = (): void => {
    invocations += 1;
    const holder = `local-${process.pid}-${invocations}`;
    const run: Promise<void> = follower
      .run(holder, Date.now() + config.localSchedule.runMs, signal)
      .then((outcome) => follower.logger.debug('run ended', { holder, outcome }))
      .catch((error: unknown) => follower.logger.error('run failed', { holder, error: error as Error }))
      .finally(() => runs.delete(run));
    runs.add(run);
  };
  invoke();
  const schedule = setInterval(invoke, config.localSchedule.intervalMs);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  clearInterval(schedule);
  await Promise.all(runs);
  follower.destroy();
  // What a Lambda function's memory size must hold (the devnet test reports it).
  const usage = process.resourceUsage();
  follower.logger.info('schedule stopped', { invocations, peakRssMiB: Math.round(usage.maxRSS / 1024), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000) });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = new AbortController();
  for (const signalName of ['SIGINT', 'SIGTERM'] as const) process.once(signalName, () => stop.abort());
  // Started by a test or launcher with an IPC channel: stop with it, so one that dies leaves no follower behind.
  if (process.env.LAKE_FOLLOWER_EXIT_WITH_PARENT === '1' && process.connected) process.once('disconnect', () => stop.abort());
  runLocalSchedule(process.env, stop.signal)
    .then(() => {
      if (process.connected) process.disconnect();
    })
    .catch((error: unknown) => {
      process.stderr.write(`lake-follower: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
