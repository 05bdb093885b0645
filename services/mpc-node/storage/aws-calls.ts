/**
 * What the node learns from its AWS SDK calls beyond their result: how a failure is classed (for the
 * metrics), and whether an attempt the SDK retried may have been applied although its answer never
 * arrived (a lost response). A conditional write or delete retried after a lost response fails its
 * condition against its own first attempt; the stores use {@link watchAttempts} to tell that apart
 * from a lost race.
 */
import type { FinalizeRequestMiddleware, MiddlewareStack } from '@smithy/types';

/** How a failed AWS call or attempt ended, as a bounded metric label. */
export type AwsErrorKind = 'throttled' | 'server' | 'network' | 'client';

const THROTTLING_ERRORS = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'LimitExceededException', 'TooManyRequestsException', 'ThrottledException']);

interface SdkErrorShape {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/**
 * Throttled (the service refused before doing anything), server (5xx: it may or may not have applied the
 * request), network (no answer at all: ditto) or client (any other 4xx answer).
 */
export function awsErrorKind(error: unknown): AwsErrorKind {
  const { name, $metadata } = (error ?? {}) as SdkErrorShape;
  const status = $metadata?.httpStatusCode;
  if ((name !== undefined && THROTTLING_ERRORS.has(name)) || status === 429) return 'throttled';
  if (status === undefined) return 'network';
  return status >= 500 ? 'server' : 'client';
}

/** Whether a request that failed this way may still have been applied by the service. */
export function mayHaveBeenApplied(error: unknown): boolean {
  const kind = awsErrorKind(error);
  return kind === 'server' || kind === 'network';
}

/** The underlying SDK error of a wrapped one (StoreError, KmsDataKeyError, SealError keep it as `cause`). */
export function rootCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 8 && current instanceof Error && current.cause !== undefined; depth += 1) current = current.cause;
  return current;
}

export interface WatchedAttempts {
  /** True once an attempt of this call failed in a way that may have left it applied, and the SDK went on. */
  readonly uncertain: boolean;
}

/**
 * Watches every attempt of one call of `command` (inside the SDK's retry loop): after the call,
 * `uncertain` tells whether an earlier attempt may have reached the table unseen. Only that attempt's
 * effect can explain a condition that fails against this caller's own write or delete.
 */
export function watchAttempts<Input extends object, Output extends object>(command: { readonly middlewareStack: MiddlewareStack<Input, Output> }): WatchedAttempts {
  const watched = { uncertain: false };
  const middleware: FinalizeRequestMiddleware<Input, Output> = (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if (mayHaveBeenApplied(error)) watched.uncertain = true;
      throw error;
    }
  };
  // Low priority in finalizeRequest: inside the retry middleware (high priority), so once per attempt.
  // Overriding: lib-dynamodb's commands merge their own stack into the call twice.
  command.middlewareStack.add(middleware, { step: 'finalizeRequest', priority: 'low', name: 'watchAttempts', override: true });
  return watched;
}
