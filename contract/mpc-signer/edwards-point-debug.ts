/**
 * The Rust `{:?}` form of a decompressed Ed25519 point as near/mpc's wasm prints it (curve25519-dalek
 * 4.1 built for wasm32, hence its 32-bit backend): `EdwardsPoint{\n\tX: FieldElement2625([…]), …}`
 * with the ten limbs (26, 25, 26, … bits) of each extended coordinate. The limbs are not reduced to
 * a canonical form, so their values depend on the exact operations decompression ran; those are
 * replayed here limb for limb: every product is the schoolbook limb product followed by the backend's
 * carry chain, every subtraction and negation goes through 16p, additions add limbs.
 *
 * near/mpc prints this only in its SignatureSchemeMismatch error (a Secp256k1 response for an Ed25519
 * domain), where the point is the domain key read back from contract storage, i.e. decompressed.
 */

/** Ten limbs, limb i weighing 2^ceil(25.5·i). */
type Limbs = readonly bigint[];

const LIMB_COUNT = 10;
const limbBits = (index: number): bigint => (index % 2 === 0 ? 26n : 25n);
const mask = (bits: bigint): bigint => (1n << bits) - 1n;
const P = 2n ** 255n - 19n;
/** p in limbs (0x3ffffed, 0x1ffffff, 0x3ffffff, …): 16p is added before subtracting so that no limb goes negative. */
const P_LIMBS: Limbs = Array.from({ length: LIMB_COUNT }, (_, index) => (index === 0 ? 0x3ffffedn : mask(limbBits(index))));
const ONE: Limbs = [1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
/** The curve constant d and √−1 in the limbs curve25519-dalek's 32-bit backend defines them with. */
const EDWARDS_D: Limbs = [56195235n, 13857412n, 51736253n, 6949390n, 114729n, 24766616n, 60832955n, 30306712n, 48412415n, 21499315n];
const SQRT_M1: Limbs = [34513072n, 25610706n, 9377949n, 3500415n, 12389472n, 33281959n, 41962654n, 31548777n, 326685n, 11406482n];

/** The backend's carry chain: two halves in parallel, then the top carry folded back times 19 (2^255 ≡ 19). */
function reduce(input: Limbs): Limbs {
  const z = [...input];
  const carry = (index: number): void => {
    const bits = limbBits(index);
    z[index + 1]! += z[index]! >> bits;
    z[index]! &= mask(bits);
  };
  for (const [low, high] of [[0, 4], [1, 5], [2, 6], [3, 7], [4, 8]] as const) {
    carry(low);
    carry(high);
  }
  z[0]! += 19n * (z[9]! >> 25n);
  z[9]! &= mask(25n);
  carry(0);
  return z;
}

/** The 255 low bits of a little-endian encoding, loaded limb by limb (the top bit, the sign of x, is ignored). */
function fromBytes(bytes: Uint8Array): Limbs {
  let value = 0n;
  for (let index = 31; index >= 0; index -= 1) value = (value << 8n) | BigInt(bytes[index]!);
  value &= mask(255n);
  const limbs: bigint[] = [];
  for (let index = 0, shift = 0n; index < LIMB_COUNT; shift += limbBits(index), index += 1) limbs.push((value >> shift) & mask(limbBits(index)));
  return reduce(limbs);
}

/** The limb product: x_i·y_j lands in limb i+j (wrapping past the top times 19), doubled when both i and j are odd. */
function mul(x: Limbs, y: Limbs): Limbs {
  const z: bigint[] = new Array<bigint>(LIMB_COUNT).fill(0n);
  for (let i = 0; i < LIMB_COUNT; i += 1) {
    for (let j = 0; j < LIMB_COUNT; j += 1) {
      const product = x[i]! * y[j]! * (i % 2 === 1 && j % 2 === 1 ? 2n : 1n);
      if (i + j < LIMB_COUNT) z[i + j]! += product;
      else z[i + j - LIMB_COUNT]! += 19n * product;
    }
  }
  return reduce(z);
}

const square = (x: Limbs): Limbs => mul(x, x);
const add = (x: Limbs, y: Limbs): Limbs => x.map((limb, index) => limb + y[index]!);
const sub = (x: Limbs, y: Limbs): Limbs => reduce(x.map((limb, index) => limb + 16n * P_LIMBS[index]! - y[index]!));
const neg = (x: Limbs): Limbs => reduce(x.map((limb, index) => 16n * P_LIMBS[index]! - limb));

function squareTimes(x: Limbs, times: number): Limbs {
  let result = x;
  for (let round = 0; round < times; round += 1) result = square(result);
  return result;
}

/** The field element's value in [0, p): what the backend's canonical encoding compares. */
function value(x: Limbs): bigint {
  let total = 0n;
  for (let index = 0, shift = 0n; index < LIMB_COUNT; shift += limbBits(index), index += 1) total += x[index]! << shift;
  return total % P;
}

const equal = (x: Limbs, y: Limbs): boolean => value(x) === value(y);
const isNegative = (x: Limbs): boolean => (value(x) & 1n) === 1n;

/** x^((p−5)/8), by the backend's addition chain (its `pow22501`, then two squarings and a product). */
function powP58(x: Limbs): Limbs {
  const t0 = square(x);
  const t1 = square(square(t0));
  const t2 = mul(x, t1);
  const t3 = mul(t0, t2);
  const t5 = mul(t2, square(t3));
  const t7 = mul(squareTimes(t5, 5), t5);
  const t9 = mul(squareTimes(t7, 10), t7);
  const t11 = mul(squareTimes(t9, 20), t9);
  const t13 = mul(squareTimes(t11, 10), t7);
  const t15 = mul(squareTimes(t13, 50), t13);
  const t17 = mul(squareTimes(t15, 100), t15);
  const t19 = mul(squareTimes(t17, 50), t13);
  return mul(x, squareTimes(t19, 2));
}

/** The non-negative √(u/v) (or √(i·u/v)), as the backend's `sqrt_ratio_i` computes it. */
function sqrtRatio(u: Limbs, v: Limbs): Limbs {
  const v3 = mul(square(v), v);
  const v7 = mul(square(v3), v);
  let r = mul(mul(u, v3), powP58(mul(u, v7)));
  const check = mul(v, square(r));
  const minusU = neg(u);
  if (equal(check, minusU) || equal(check, mul(minusU, SQRT_M1))) r = mul(SQRT_M1, r);
  return isNegative(r) ? neg(r) : r;
}

const fieldElementDebug = (x: Limbs): string => `FieldElement2625([${x.join(', ')}])`;

/** `{:?}` of the point `compressed` (a valid Ed25519 encoding) decompresses to. */
export function edwardsPointDebug(compressed: Uint8Array): string {
  const y = fromBytes(compressed);
  const yy = square(y);
  const root = sqrtRatio(sub(yy, ONE), add(mul(yy, EDWARDS_D), ONE));
  const x = (compressed[31]! & 0x80) !== 0 ? neg(root) : root;
  const coordinates = { X: x, Y: y, Z: ONE, T: mul(x, y) };
  return `EdwardsPoint{\n${Object.entries(coordinates).map(([name, limbs]) => `\t${name}: ${fieldElementDebug(limbs)}`).join(',\n')}\n}`;
}
