import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root: the esbuild project root of the Lambdas and the container image's build context. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The lake indexer handler the deployed Lambda runs (written in lambdas/, exports `handler`). */
export const LAKE_INDEXER_ENTRY = path.join(PROJECT_ROOT, 'lambdas', 'lake-indexer', 'handler.ts');

/** The public-lake follower's handler (lambdas/lake-follower), invoked every minute by a schedule. */
export const LAKE_FOLLOWER_ENTRY = path.join(PROJECT_ROOT, 'lambdas', 'lake-follower', 'handler.ts');

/** The task DNS updater handler of the public network mode (lambdas/task-dns). */
export const TASK_DNS_ENTRY = path.join(PROJECT_ROOT, 'lambdas', 'task-dns', 'handler.ts');
