/**
 * The DNS updater's configuration, from the Lambda's environment (set by cdk/lib/task-public-dns.ts).
 * Read once at init; anything wrong is one {@link TaskDnsConfigError} naming every bad variable.
 */
import { z } from 'zod';
import type { TaskDnsSettings } from './task-dns.js';

/** Short, so peers resolve a restarted node's new address within a minute; only a handful of peers query it. */
export const DEFAULT_RECORD_TTL_SECONDS = 60;

const environmentSchema = z.object({
  HOSTED_ZONE_ID: z.string({ error: 'is required' }).regex(/^Z[A-Z\d]{1,31}$/, 'must be a Route 53 hosted zone id'),
  RECORD_NAME: z
    .string({ error: 'is required' })
    .regex(/^(?=.{1,253}$)([a-z\d]([a-z\d-]{0,61}[a-z\d])?\.)+[a-z]{2,63}$/, 'must be a lowercase DNS host name such as mpc.example.com'),
  RECORD_TTL_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).int().min(1).max(86_400).default(DEFAULT_RECORD_TTL_SECONDS),
});

export class TaskDnsConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid task-dns configuration: ${problems.join('; ')}`);
    this.name = 'TaskDnsConfigError';
  }
}

export function loadTaskDnsConfig(environment: Readonly<Record<string, string | undefined>>): TaskDnsSettings {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) throw new TaskDnsConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  return { hostedZoneId: parsed.data.HOSTED_ZONE_ID, recordName: parsed.data.RECORD_NAME, ttlSeconds: parsed.data.RECORD_TTL_SECONDS };
}
