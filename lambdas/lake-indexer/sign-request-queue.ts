/**
 * The sign-requests FIFO queue the MPC node consumes.
 *
 * MessageDeduplicationId = request id: SQS drops a second send of the same request within its
 * 5-minute deduplication window (concurrent duplicate deliveries, a crash between send and the
 * ledger's `enqueued` flag). MessageGroupId = request id too: FIFO delivers one message per group at
 * a time, and sign requests have no order among themselves (nodes pick leaders per request), so one
 * group per request keeps every request independent — no head-of-line blocking behind a slow one —
 * and lets the queue run in high-throughput mode (`FifoThroughputLimit=perMessageGroupId`,
 * `DeduplicationScope=messageGroup`, equivalent here because group = dedup id).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface SignRequestQueue {
  send(requestId: string, messageBody: string): Promise<void>;
}

export class SqsSignRequestQueue implements SignRequestQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(requestId: string, messageBody: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: messageBody, MessageGroupId: requestId, MessageDeduplicationId: requestId }),
    );
  }
}
