import { ed25519 } from '@noble/curves/ed25519.js';
import { parsePublicKey } from '../../shared/near/keys.js';
import { rootPublicKey } from '../testing/mpc-fixtures.js';
import { edwardsPointDebug } from './edwards-point-debug.js';

const limbs = (name: string, values: readonly number[]) => `\t${name}: FieldElement2625([${values.join(', ')}])`;
const pointDebug = (x: readonly number[], y: readonly number[], t: readonly number[]) =>
  `EdwardsPoint{\n${[limbs('X', x), limbs('Y', y), limbs('Z', [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]), limbs('T', t)].join(',\n')}\n}`;

function compressed(text: string): Uint8Array {
  const key = parsePublicKey(text, 'ed25519');
  if (key.curve !== 'ed25519') throw new Error('not an Ed25519 key');
  return key.point.toBytes();
}

describe('edwardsPointDebug', () => {
  // Both texts are what near/mpc 3.14's wasm printed for these domain keys in a SignatureSchemeMismatch.
  it('prints the limbs near/mpc prints for a key with x even', () => {
    expect(edwardsPointDebug(compressed(rootPublicKey('Ed25519')))).toBe(
      pointDebug(
        [34566504, 9449144, 30039412, 13713877, 47254787, 15046420, 53353073, 21055574, 40460885, 12339106],
        [11265103, 5096343, 21873778, 28493704, 5336848, 19200151, 47856495, 4993494, 32309665, 31037276],
        [53133764, 13005663, 35867240, 23306557, 15758280, 4731446, 25253882, 14120719, 47167245, 19069594],
      ),
    );
  });

  it('prints the limbs near/mpc prints for a key with x odd (sign bit set)', () => {
    const fiveTimesBase = ed25519.Point.BASE.multiply(5n).toBytes();
    expect(fiveTimesBase[31]! & 0x80).toBe(0x80);
    expect(edwardsPointDebug(fiveTimesBase)).toBe(
      pointDebug(
        [36631091, 2568204, 3453480, 30011615, 24158311, 19768798, 62815208, 17792925, 65723957, 19396252],
        [41339117, 8904949, 23831066, 5523992, 12886203, 26363494, 37161540, 30276613, 53055466, 24977558],
        [65536464, 5517116, 14150787, 2621513, 46064954, 20367353, 7678019, 27887148, 46777747, 30503256],
      ),
    );
  });
});
