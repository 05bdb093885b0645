// Jest loads global setup outside its module system (no moduleNameMapper, no ESM transform), so the
// TypeScript launcher is loaded through tsx, the same loader `npm start` uses.
import { tsImport } from 'tsx/esm/api';

/** Upper bound on the emulators' life, so a crashed run cannot leave DynamoDB Local behind. */
const TEST_RUN_MAX_SECONDS = 45 * 60;

export default async function globalSetup() {
  const { startLocalAws, localAwsEnvironment } = await tsImport('../../services/devnet/emulators/index.ts', import.meta.url);
  const localAws = await startLocalAws({ maxLifetimeSeconds: TEST_RUN_MAX_SECONDS });
  // Global setup and teardown run in the same process; workers are forked later and inherit the environment.
  globalThis.__chainsigLocalAws = localAws;
  Object.assign(process.env, localAwsEnvironment(localAws.endpoints));
}
