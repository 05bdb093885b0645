/**
 * The node's end of its sign-requests FIFO queue (filled by this operator's own lake indexer). A
 * message stays in flight — invisible, not deleted — for as long as the node works on its request, and
 * is deleted only once the request is over (answered, or no longer pending on chain). A node that dies
 * loses nothing: the message becomes visible again and the restarted node picks it up. A message that
 * cannot be read is left alone and reaches the dead-letter queue after the queue's maxReceiveCount.
 * Deletes are gathered for a moment and sent ten at a time: a finished request's message may go a
 * little later, and under load one call replaces up to ten.
 */
import { ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { decodeSignRequest, type SignRequest } from '../../../shared/near/sign-request.js';

/** A received request and the handle that deletes or releases its message. */
export interface InboxMessage {
  readonly request: SignRequest;
  /** The receipt handle of the latest receive of this message (a redelivery replaces it). */
  readonly receiptHandle: string;
}

/** A message body that is not a sign request for this node's contract; it is left for the dead-letter queue. */
export class UnreadableSignRequest extends Error {
  constructor(
    readonly messageId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`sign-requests message ${messageId} is unreadable: ${reason}`, options);
    this.name = 'UnreadableSignRequest';
  }
}

/** SQS refused to delete one message of a batch (e.g. a stale receipt handle); the message comes back later. */
export class MessageDeleteFailed extends Error {
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(`deleting a sign-requests message failed (${code}): ${detail}`);
    this.name = 'MessageDeleteFailed';
  }
}

/** How long a delete waits for others to share its DeleteMessageBatch call. */
const DELETE_BATCH_DELAY_MS = 100;
/** The most entries one DeleteMessageBatch call takes. */
const DELETE_BATCH_MAX = 10;

interface PendingDelete {
  readonly receiptHandle: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface SignRequestInboxOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Requests for another contract are unreadable here (a misrouted queue). */
  readonly contractId: string;
  /** How long a received message stays invisible before the node must extend it (default 60 s). */
  readonly visibilitySeconds?: number;
  /** Long-poll wait; short enough for `stop` to be prompt (default 1 s). */
  readonly waitTimeSeconds?: number;
}

export class SqsSignRequestInbox {
  readonly visibilitySeconds: number;
  private readonly waitTimeSeconds: number;
  private readonly deletes: PendingDelete[] = [];
  private deleteTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SignRequestInboxOptions) {
    this.visibilitySeconds = options.visibilitySeconds ?? 60;
    this.waitTimeSeconds = options.waitTimeSeconds ?? 1;
  }

  /** One long poll: the readable requests, and an error for each unreadable message (not deleted). */
  async receive(maxMessages: number, signal?: AbortSignal): Promise<{ messages: InboxMessage[]; unreadable: UnreadableSignRequest[] }> {
    const { Messages = [] } = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, maxMessages)),
        WaitTimeSeconds: this.waitTimeSeconds,
        VisibilityTimeout: this.visibilitySeconds,
      }),
      signal === undefined ? {} : { abortSignal: signal },
    );
    const messages: InboxMessage[] = [];
    const unreadable: UnreadableSignRequest[] = [];
    for (const message of Messages) {
      const messageId = message.MessageId ?? '(no id)';
      try {
        const request = decodeSignRequest(message.Body ?? '');
        if (request.contractId !== this.options.contractId) throw new Error(`it is for contract ${request.contractId}, this node serves ${this.options.contractId}`);
        messages.push({ request, receiptHandle: message.ReceiptHandle! });
      } catch (error) {
        unreadable.push(new UnreadableSignRequest(messageId, error instanceof Error ? error.message : String(error), { cause: error }));
      }
    }
    return { messages, unreadable };
  }

  /** The request is over: the message goes for good (resolves once SQS deleted it, within {@link DELETE_BATCH_DELAY_MS} plus the call). */
  complete(receiptHandle: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.deletes.push({ receiptHandle, resolve, reject });
      if (this.deletes.length >= DELETE_BATCH_MAX) this.flushDeletes();
      else this.deleteTimer ??= setTimeout(() => this.flushDeletes(), DELETE_BATCH_DELAY_MS);
    });
  }

  private flushDeletes(): void {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    while (this.deletes.length > 0) void this.deleteBatch(this.deletes.splice(0, DELETE_BATCH_MAX));
  }

  /** One DeleteMessageBatch call; each waiting `complete` learns its own entry's outcome. */
  private async deleteBatch(batch: readonly PendingDelete[]): Promise<void> {
    try {
      const { Failed = [] } = await this.options.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: batch.map(({ receiptHandle }, i) => ({ Id: String(i), ReceiptHandle: receiptHandle })) }),
      );
      const failures = new Map(Failed.map((failure) => [failure.Id, failure]));
      batch.forEach((pending, i) => {
        const failure = failures.get(String(i));
        if (failure === undefined) pending.resolve();
        else pending.reject(new MessageDeleteFailed(failure.Code ?? 'unknown', failure.Message ?? 'no detail'));
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  /** Keeps the message invisible for another `visibilitySeconds` while the node still works on it. */
  async extend(receiptHandle: string): Promise<void> {
    await this.options.sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: this.visibilitySeconds }),
    );
  }

  /** Hands the message back at once (shutdown): the next receive, here or after a restart, gets it again. */
  async release(receiptHandle: string): Promise<void> {
    await this.options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }));
  }
}
