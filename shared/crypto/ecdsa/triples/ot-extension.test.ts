import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { gf128Multiply, GF128_ONE, polynomialHash } from './aes.js';
import { getBit, transposeColumnsToRows } from './bit-matrix.js';
import { correctionBytes, OtExtensionReceiver, OtExtensionSender } from './ot-extension.js';

const context = new TextEncoder().encode('test-context');

function runExtension(count: number) {
  const receiver = new OtExtensionReceiver(context, count, randomBytes);
  const sender = new OtExtensionSender(context, count, randomBytes);
  const correction = receiver.extend(sender.receiveBaseOt(receiver.bigY));
  expect(correction.length).toBe(correctionBytes(count));
  const challenge = sender.receiveCorrection(correction);
  return { receiver, sender, passed: sender.check(receiver.answerChallenge(challenge)) };
}

describe('bit matrix transpose', () => {
  it('matches a bit-by-bit transpose', () => {
    const rowCount = 96;
    const columns = randomBytes((128 * rowCount) / 8);
    const rows = transposeColumnsToRows(columns, rowCount);
    for (let row = 0; row < rowCount; row += 1) {
      for (let column = 0; column < 128; column += 1) {
        expect(getBit(rows, row * 128 + column)).toBe(getBit(columns, column * rowCount + row));
      }
    }
  });
});

describe('GF(2^128)', () => {
  it('multiplication is commutative, distributive and has GCM one as unit', () => {
    const [a, b, c] = [randomBytes(16), randomBytes(16), randomBytes(16)];
    expect(gf128Multiply(a, b)).toEqual(gf128Multiply(b, a));
    expect(gf128Multiply(a, GF128_ONE)).toEqual(a);
    const bc = b.map((byte, i) => byte ^ c[i]!);
    const sum = gf128Multiply(a, b).map((byte, i) => byte ^ gf128Multiply(a, c)[i]!);
    expect(gf128Multiply(a, bc)).toEqual(sum);
  });

  it('the polynomial hash is linear in its rows', () => {
    const key = randomBytes(16);
    const [x, y] = [randomBytes(64), randomBytes(64)];
    const xy = x.map((byte, i) => byte ^ y[i]!);
    const hx = polynomialHash(key, x);
    const hy = polynomialHash(key, y);
    expect(polynomialHash(key, xy)).toEqual(hx.map((byte, i) => byte ^ hy[i]!));
    expect(polynomialHash(key, new Uint8Array(64))).toEqual(new Uint8Array(16));
  });
});

describe('random OT extension', () => {
  it('the receiver learns exactly the message of its choice bit', () => {
    const count = 300;
    const { receiver, sender, passed } = runExtension(count);
    expect(passed).toBe(true);
    const { choices, messages } = receiver.output();
    const { messages0, messages1 } = sender.output();
    let ones = 0;
    for (let j = 0; j < count; j += 1) {
      const chosen = getBit(choices, j) === 1 ? messages1 : messages0;
      const other = getBit(choices, j) === 1 ? messages0 : messages1;
      expect(messages.subarray(32 * j, 32 * j + 32)).toEqual(chosen.subarray(32 * j, 32 * j + 32));
      expect(messages.subarray(32 * j, 32 * j + 32)).not.toEqual(other.subarray(32 * j, 32 * j + 32));
      ones += getBit(choices, j);
    }
    expect(ones).toBeGreaterThan(50);
    expect(ones).toBeLessThan(250);
  });

  it('a receiver that flips a choice bit in one column passes the check exactly when it guessed that bit of Δ', () => {
    // A deterministic sender RNG lets the test know Δ (the sender's first 16 random bytes).
    const seededRng = (seed: number) => {
      let counter = 0;
      return (length: number) => {
        const out = new Uint8Array(length);
        for (let at = 0; at < length; at += 32) out.set(sha256(Uint8Array.of(seed, counter++)).subarray(0, Math.min(32, length - at)), at);
        return out;
      };
    };
    const delta = seededRng(7)(16);
    const zeroColumn = [...Array(128).keys()].find((k) => getBit(delta, k) === 0)!;
    const oneColumn = [...Array(128).keys()].find((k) => getBit(delta, k) === 1)!;
    const columnBytes = (128 + 256) / 8;
    for (const [column, expected] of [[zeroColumn, true], [oneColumn, false]] as const) {
      const receiver = new OtExtensionReceiver(context, 128, randomBytes);
      const sender = new OtExtensionSender(context, 128, seededRng(7));
      const correction = receiver.extend(sender.receiveBaseOt(receiver.bigY));
      // Flipping bit j of column k means choice 1 − rⱼ in that column only.
      correction[column * columnBytes + 3]! ^= 0x10;
      const challenge = sender.receiveCorrection(correction);
      expect(sender.check(receiver.answerChallenge(challenge))).toBe(expected);
    }
  });

  it('rejects a tampered answer and refuses to release outputs', () => {
    const receiver = new OtExtensionReceiver(context, 128, randomBytes);
    const sender = new OtExtensionSender(context, 128, randomBytes);
    const challenge = sender.receiveCorrection(receiver.extend(sender.receiveBaseOt(receiver.bigY)));
    const answer = receiver.answerChallenge(challenge);
    answer[20]! ^= 1;
    expect(sender.check(answer)).toBe(false);
    expect(() => sender.output()).toThrow(/before a passed consistency check/);
  });
});
