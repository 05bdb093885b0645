/**
 * The part of an EventBridge "ECS Task State Change" event the DNS updater reads: which task, its states,
 * and the id of its elastic network interface (awsvpc mode: one ENI per task, listed in `attachments`).
 */
import { z } from 'zod';

export const TASK_STATE_CHANGE = 'ECS Task State Change';

const attachmentSchema = z.object({
  type: z.string(),
  details: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
});

const taskStateChangeSchema = z.object({
  'detail-type': z.literal(TASK_STATE_CHANGE),
  detail: z.object({
    taskArn: z.string().min(1),
    lastStatus: z.string(),
    desiredStatus: z.string(),
    attachments: z.array(attachmentSchema).default([]),
  }),
});

/** A task that is running and meant to keep running, with the ENI that carries its public address. */
export interface RunningTask {
  readonly taskArn: string;
  readonly networkInterfaceId: string;
}

/** The event is not an ECS task state change, or a running task without a network interface. */
export class TaskEventError extends Error {
  constructor(message: string, readonly taskArn: string | undefined) {
    super(message);
    this.name = 'TaskEventError';
  }
}

/**
 * The running task the event announces, or undefined for any other state (provisioning, stopping, or a task
 * still running but told to stop: its address is about to go away).
 */
export function runningTaskOf(event: unknown): RunningTask | undefined {
  const parsed = taskStateChangeSchema.safeParse(event);
  if (!parsed.success) {
    throw new TaskEventError(`not an ECS task state change: ${parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; ')}`, undefined);
  }
  const { taskArn, lastStatus, desiredStatus, attachments } = parsed.data.detail;
  if (lastStatus !== 'RUNNING' || desiredStatus !== 'RUNNING') return undefined;
  const networkInterfaceId = attachments
    .filter((attachment) => attachment.type === 'eni')
    .flatMap((attachment) => attachment.details)
    .find((detail) => detail.name === 'networkInterfaceId')?.value;
  if (networkInterfaceId === undefined) throw new TaskEventError(`running task ${taskArn} has no network interface (not awsvpc?)`, taskArn);
  return { taskArn, networkInterfaceId };
}
