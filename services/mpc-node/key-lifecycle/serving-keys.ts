/**
 * The keys a node signs with in the current epoch: for each domain the contract's keyset names, the
 * stored share that produced that exact key (attempt and public key both checked). A share that is
 * missing or cannot be opened costs that domain only; the node keeps serving the others.
 */
import type { ServeJob } from '../chain/jobs.js';
import type { NodeContext, ServingKey } from '../node-context.js';
import { ServingKeyMissing } from './errors.js';
import { compressedPublicKey, curveOfScheme } from './public-keys.js';

export interface LoadServingKeysOptions {
  /** Told about every domain skipped, besides the warning logged. */
  readonly onMissing?: (error: ServingKeyMissing) => void;
}

export async function loadServingKeys(
  context: Pick<NodeContext, 'stores' | 'logger'>,
  job: ServeJob,
  options: LoadServingKeysOptions = {},
): Promise<Map<number, ServingKey>> {
  const keys = new Map<number, ServingKey>();
  for (const domain of job.domains) {
    const entry = job.keyset.find((key) => key.domain_id === domain.id);
    if (entry === undefined) continue;
    let missing: ServingKeyMissing | undefined;
    try {
      const publicKey = compressedPublicKey(entry.key, curveOfScheme(domain.scheme));
      const stored = await context.stores.keyShares.getForKey(domain.id, job.epochId, publicKey, entry.attempt);
      if (stored === undefined) missing = new ServingKeyMissing(domain.id, job.epochId, entry.attempt, entry.key);
      else keys.set(domain.id, { domain, epochId: job.epochId, share: stored.share });
    } catch (error) {
      missing = new ServingKeyMissing(domain.id, job.epochId, entry.attempt, entry.key, { cause: error });
    }
    if (missing !== undefined) {
      context.logger.warn('serving key missing; domain skipped', {
        domainId: domain.id,
        epochId: job.epochId,
        attemptId: entry.attempt,
        publicKey: entry.key,
        error: missing.message,
        cause: missing.cause === undefined ? undefined : String(missing.cause),
      });
      options.onMissing?.(missing);
    }
  }
  return keys;
}
