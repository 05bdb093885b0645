import { randomBytes } from '@noble/hashes/utils.js';
import { SECP256K1 } from '../../group.js';
import { lagrangeCoefficient } from '../../polynomial.js';
import type { ParticipantId, Protocol } from '../../protocol.js';
import { runProtocols } from '../../runner.js';
import type { Triple } from '../triple.js';
import { generateTriples } from './triple-generation.js';

const Fn = SECP256K1.Fn;
/** A 7-party run is ≈ 8 s of CPU (21 pairs of base OTs); the shared dev host can be several times slower. */
const RUN_TIMEOUT_MS = 240_000;

function startRun(participants: readonly ParticipantId[], threshold: number, batchSize: number) {
  const sessionId = randomBytes(32);
  return new Map<ParticipantId, Protocol<readonly Triple[]>>(
    participants.map((me) => [me, generateTriples({ participants, me, threshold, batchSize, sessionId })]),
  );
}

/** Interpolates the secret at 0 from the shares of the first `threshold` holders. */
function reconstruct(shares: ReadonlyMap<ParticipantId, bigint>, threshold: number): bigint {
  const holders = [...shares.keys()].slice(0, threshold);
  return holders.reduce((sum, id) => Fn.add(sum, Fn.mul(shares.get(id)!, lagrangeCoefficient(Fn, holders, id))), 0n);
}

describe.each([
  [2, [0, 1, 2]],
  [3, [1, 4, 5, 7, 9]],
  [5, [0, 1, 2, 3, 4, 5, 6]],
] as const)('triple generation, threshold %i of %j', (threshold, participants) => {
  it('every triple satisfies c = a·b, matches A, B, C, and all parties agree', () => {
    const batchSize = 2;
    const { outputs } = runProtocols(startRun(participants, threshold, batchSize));
    expect(outputs.size).toBe(participants.length);
    for (let m = 0; m < batchSize; m += 1) {
      const triples = new Map([...outputs].map(([id, triples]) => [id, triples[m]!]));
      const first = triples.get(participants[0]!)!.pub;
      for (const triple of triples.values()) expect(triple.pub).toEqual(first);
      expect(first.participants).toEqual([...participants].sort((a, b) => a - b));
      expect(first.threshold).toBe(threshold);
      const pick = (key: 'a' | 'b' | 'c') => new Map([...triples].map(([id, triple]) => [id, triple.share[key]]));
      const [a, b, c] = [reconstruct(pick('a'), threshold), reconstruct(pick('b'), threshold), reconstruct(pick('c'), threshold)];
      expect(c).toBe(Fn.mul(a, b));
      expect(SECP256K1.scaleBase(a).toBytes(true)).toEqual(first.bigA);
      expect(SECP256K1.scaleBase(b).toBytes(true)).toEqual(first.bigB);
      expect(SECP256K1.scaleBase(c).toBytes(true)).toEqual(first.bigC);
      // Any other threshold-subset reconstructs the same secret (shares lie on one polynomial).
      const reversed = new Map([...pick('c')].reverse());
      expect(reconstruct(reversed, threshold)).toBe(c);
    }
    const firstTriples = outputs.get(participants[0]!)!;
    expect(firstTriples[0]!.pub.bigA).not.toEqual(firstTriples[1]!.pub.bigA);
  }, RUN_TIMEOUT_MS);
});
