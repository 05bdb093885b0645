import { randomBytes } from '@noble/hashes/utils.js';
import { randomScalar, SECP256K1 } from '../../group.js';
import { MTA_OTS, mtaReceive, mtaSenderCorrections, mtaSenderShares, SCALAR_BYTES } from './mta.js';
import { OtExtensionReceiver, OtExtensionSender } from './ot-extension.js';

const Fn = SECP256K1.Fn;
const context = new TextEncoder().encode('mta-test');

function randomOts(instances: number) {
  const count = instances * MTA_OTS;
  const receiver = new OtExtensionReceiver(context, count, randomBytes);
  const sender = new OtExtensionSender(context, count, randomBytes);
  const challenge = sender.receiveCorrection(receiver.extend(sender.receiveBaseOt(receiver.bigY)));
  if (!sender.check(receiver.answerChallenge(challenge))) throw new Error('honest check failed');
  return { receiverOut: receiver.output(), senderOut: sender.output() };
}

describe('MTA', () => {
  const instances = 3;
  const { receiverOut, senderOut } = randomOts(instances);
  const a = Array.from({ length: instances }, () => randomScalar(Fn));
  const b = Array.from({ length: instances }, () => randomScalar(Fn));

  it('turns a product into additive shares: α + β = a·b', () => {
    const { corrections, v0 } = mtaSenderCorrections(senderOut.messages0, senderOut.messages1, a);
    const received = mtaReceive(receiverOut.choices, receiverOut.messages, corrections, b, randomBytes);
    const alpha = mtaSenderShares(v0, a, received.seed, received.firstCoefficients);
    for (let u = 0; u < instances; u += 1) expect(Fn.add(alpha[u]!, received.shares[u]!)).toBe(Fn.mul(a[u]!, b[u]!));
  });

  it('a wrong correction makes the product wrong (caught later by the triple checks)', () => {
    const { corrections, v0 } = mtaSenderCorrections(senderOut.messages0, senderOut.messages1, a);
    // Corrupt every correction of instance 1 by +1: some of its OTs have tᵢ = 1 for sure.
    for (let i = MTA_OTS; i < 2 * MTA_OTS; i += 1) corrections[i * SCALAR_BYTES + 31] = (corrections[i * SCALAR_BYTES + 31]! + 1) & 0xff;
    const received = mtaReceive(receiverOut.choices, receiverOut.messages, corrections, b, randomBytes);
    const alpha = mtaSenderShares(v0, a, received.seed, received.firstCoefficients);
    expect(Fn.add(alpha[0]!, received.shares[0]!)).toBe(Fn.mul(a[0]!, b[0]!));
    expect(Fn.add(alpha[1]!, received.shares[1]!)).not.toBe(Fn.mul(a[1]!, b[1]!));
  });
});
