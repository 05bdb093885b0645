import { ControlChannel, decodeControlMessage, encodeControlMessage, type ControlMessage } from './control.js';
import { MetricsRegistry } from './observability/metrics.js';

const INSTANCE = 'ab'.repeat(32);

/** Node 1's control channel; what it sends is recorded by recipient. */
function channelOfNode1() {
  const sent: { to: number; message: ControlMessage }[] = [];
  const channel = new ControlChannel({
    me: 1,
    send: async (to, payload) => {
      // A mesh payload: its first byte is the payload kind.
      sent.push({ to, message: decodeControlMessage(1, payload.subarray(1)) });
    },
    rejected: new MetricsRegistry().counter('control_messages_rejected_total', 'test'),
    onRefused: () => undefined,
  });
  return { channel, sent };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('ControlChannel refusals', () => {
  it('tells the sender and every other participant of a refused run, so none of them waits for this node until the timeout', async () => {
    const { channel, sent } = channelOfNode1();
    channel.on('eddsa-presign', async () => {
      throw new Error('already running 8 follower runs');
    });
    channel.receive(0, encodeControlMessage({ type: 'eddsa-presign', instance: INSTANCE, participants: [0, 1, 2, 4], domainId: 1, epochId: 0 }).subarray(1));
    await settle();
    expect(sent.map(({ to }) => to).sort()).toEqual([0, 2, 4]);
    for (const { message } of sent) expect(message).toEqual({ type: 'run-refused', instance: INSTANCE, reason: 'already running 8 follower runs' });
  });

  it('answers a refused message that starts no run with nothing', async () => {
    const { channel, sent } = channelOfNode1();
    channel.on('shares-stored', async () => {
      throw new Error('unknown run');
    });
    channel.receive(0, encodeControlMessage({ type: 'shares-stored', instance: INSTANCE }).subarray(1));
    await settle();
    expect(sent).toEqual([]);
  });
});
