import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MessageDeleteFailed, SqsSignRequestInbox } from './request-inbox.js';

/**
 * A stand-in SQS client: fauxqs (the local SQS used by the integration tests) accepts any receipt
 * handle, so the per-entry failure real SQS reports for a stale one can only be reproduced here.
 */
function fakeSqs(answer: (entries: readonly { Id?: string; ReceiptHandle?: string }[]) => Promise<unknown>) {
  const calls: string[][] = [];
  const client = {
    send: async (command: unknown) => {
      if (!(command instanceof DeleteMessageBatchCommand)) throw new Error('unexpected command');
      const entries = command.input.Entries ?? [];
      calls.push(entries.map((entry) => entry.ReceiptHandle!));
      return answer(entries);
    },
  } as unknown as SQSClient;
  return { client, calls };
}

describe('SqsSignRequestInbox.complete', () => {
  it('gathers deletes for a moment and sends them ten per call', async () => {
    const sqs = fakeSqs(async () => ({ Successful: [], Failed: [] }));
    const inbox = new SqsSignRequestInbox({ sqs: sqs.client, queueUrl: 'queue', contractId: 'c' });
    const handles = Array.from({ length: 23 }, (_, i) => `h${i}`);
    await Promise.all(handles.map((handle) => inbox.complete(handle)));
    expect(sqs.calls.map((call) => call.length)).toEqual([10, 10, 3]);
    expect(sqs.calls.flat()).toEqual(handles);
  });

  it('fails only the entry SQS refused, with a typed error; a failed call fails its whole batch', async () => {
    const refusing = fakeSqs(async (entries) => ({ Failed: entries.filter((entry) => entry.ReceiptHandle === 'stale').map((entry) => ({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', Message: 'expired', SenderFault: true })) }));
    const inbox = new SqsSignRequestInbox({ sqs: refusing.client, queueUrl: 'queue', contractId: 'c' });
    const [good, stale] = await Promise.allSettled([inbox.complete('good'), inbox.complete('stale')]);
    expect(good!.status).toBe('fulfilled');
    expect((stale as PromiseRejectedResult).reason).toBeInstanceOf(MessageDeleteFailed);
    expect((stale as PromiseRejectedResult).reason).toMatchObject({ code: 'ReceiptHandleIsInvalid' });

    const down = fakeSqs(async () => {
      throw new Error('connection refused');
    });
    const unreachable = new SqsSignRequestInbox({ sqs: down.client, queueUrl: 'queue', contractId: 'c' });
    const results = await Promise.allSettled([unreachable.complete('a'), unreachable.complete('b')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });
});
