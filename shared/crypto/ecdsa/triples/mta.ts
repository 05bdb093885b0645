/**
 * Multiplicative-to-additive conversion from random OT, after Haitner–Makriyannis–Ranellucci–
 * Tsfadia 2021 (the variant cait-sith and near/mpc use), batched over many instances that share
 * one OT extension. Instance u uses OTs [u·κ, (u+1)·κ), κ = 256 + 128.
 *
 * Sender input a, receiver input b. From the random OTs the sender holds (v0ᵢ, v1ᵢ), the
 * receiver (tᵢ, v_tᵢ). The sender sends one correction dᵢ = v0ᵢ − v1ᵢ + 2a per OT, so the
 * receiver gets wᵢ = v_tᵢ + tᵢ·dᵢ = δᵢ + sᵢ·a with δᵢ = v0ᵢ + a and sᵢ = 2tᵢ − 1 ∈ {±1}. Only
 * then does the receiver pick the encoding coefficients: g₂ … g_κ from a fresh seed and g₁ so that
 * Σ gᵢ·sᵢ = b, and sends (seed, g₁). Outputs: β = Σ gᵢ·wᵢ and α = −Σ gᵢ·δᵢ, so α + β = a·b.
 *
 * Choosing g after the corrections is what limits a cheating sender: a wrong dᵢ shifts β by
 * gᵢ·tᵢ·eᵢ with gᵢ unknown when eᵢ was chosen, so any deviation that is not cancelled by tᵢ = 0
 * makes the product wrong (caught by the triple checks), and the κ − 256 = 128 spare random bits
 * keep b hidden even given the few tᵢ a failure can reveal.
 */
import { SECP256K1 } from '../../group.js';
import { expandSeed, SEED_BYTES } from './aes.js';
import { getBit } from './bit-matrix.js';
import { OT_MESSAGE_BYTES } from './ot-extension.js';
import { readUint256, writeUint256 } from '../../scalar-bytes.js';

/** OTs per MTA: ⌈lg q⌉ + λ. */
export const MTA_OTS = 256 + 128;
export const SCALAR_BYTES = 32;

const Fn = SECP256K1.Fn;
const ORDER = Fn.ORDER;

/**
 * OT messages and PRG coefficients are read as 256-bit integers and only ever enter sums that
 * are reduced mod q at the end, so they are not reduced one by one (the bias of 2²⁵⁶ onto q is
 * below 2⁻¹²⁷ either way).
 */
const integerAt = readUint256;

/** Sender step 1: the corrections dᵢ (32 bytes each) and the δ-independent state for step 2. */
export function mtaSenderCorrections(
  messages0: Uint8Array,
  messages1: Uint8Array,
  inputs: readonly bigint[],
): { readonly corrections: Uint8Array; readonly v0: bigint[] } {
  const total = inputs.length * MTA_OTS;
  const corrections = new Uint8Array(total * SCALAR_BYTES);
  const v0: bigint[] = new Array<bigint>(total);
  for (let u = 0; u < inputs.length; u += 1) {
    const twiceInput = (2n * inputs[u]!) % ORDER;
    for (let i = u * MTA_OTS; i < (u + 1) * MTA_OTS; i += 1) {
      const zero = integerAt(messages0, i * OT_MESSAGE_BYTES);
      // Reduced into [0, q) without branching on the sign of a value that depends on the secret a.
      const correction = (((zero - integerAt(messages1, i * OT_MESSAGE_BYTES) + twiceInput) % ORDER) + ORDER) % ORDER;
      v0[i] = zero;
      writeUint256(corrections, i * SCALAR_BYTES, correction);
    }
  }
  return { corrections, v0 };
}

/** The coefficients g₂ … g_κ of every instance (instance u, coefficient i ≥ 1 at (u·(κ−1) + i − 1)). */
function expandCoefficients(seed: Uint8Array, instances: number): bigint[] {
  const perInstance = MTA_OTS - 1;
  const bytes = expandSeed(seed, instances * perInstance * SCALAR_BYTES);
  const coefficients = new Array<bigint>(instances * perInstance);
  for (let k = 0; k < coefficients.length; k += 1) coefficients[k] = integerAt(bytes, k * SCALAR_BYTES);
  return coefficients;
}

/**
 * Receiver: from its OT output and the sender's corrections, its shares β and the message
 * (seed, g₁ per instance) for the sender. `corrections` must hold canonical scalars.
 */
export function mtaReceive(
  choices: Uint8Array,
  messages: Uint8Array,
  corrections: Uint8Array,
  inputs: readonly bigint[],
  rng: (length: number) => Uint8Array,
): { readonly shares: bigint[]; readonly seed: Uint8Array; readonly firstCoefficients: bigint[] } {
  const seed = rng(SEED_BYTES);
  const coefficients = expandCoefficients(seed, inputs.length);
  const shares: bigint[] = [];
  const firstCoefficients: bigint[] = [];
  for (let u = 0; u < inputs.length; u += 1) {
    const base = u * MTA_OTS;
    let encoded = 0n; // Σ_{i≥2} gᵢ·sᵢ
    let weighted = 0n; // Σ_{i≥2} gᵢ·wᵢ
    // The choice bits tᵢ are secret: they enter as the numbers 0 and 1 (sᵢ = 2tᵢ − 1, wᵢ = v_tᵢ + tᵢ·dᵢ), never as branches.
    for (let i = 1; i < MTA_OTS; i += 1) {
      const ot = base + i;
      const g = coefficients[u * (MTA_OTS - 1) + i - 1]!;
      const choice = BigInt(getBit(choices, ot));
      encoded += g * (2n * choice - 1n);
      weighted += g * (integerAt(messages, ot * OT_MESSAGE_BYTES) + choice * readUint256(corrections, ot * SCALAR_BYTES));
    }
    const firstChoice = BigInt(getBit(choices, base));
    const first = Fn.create((2n * firstChoice - 1n) * (inputs[u]! - encoded));
    const firstW = integerAt(messages, base * OT_MESSAGE_BYTES) + firstChoice * readUint256(corrections, base * SCALAR_BYTES);
    firstCoefficients.push(first);
    shares.push(Fn.create(weighted + first * firstW));
  }
  return { shares, seed, firstCoefficients };
}

/** Sender step 2: its shares α from the receiver's (seed, g₁) and the state of step 1. */
export function mtaSenderShares(v0: readonly bigint[], inputs: readonly bigint[], seed: Uint8Array, firstCoefficients: readonly bigint[]): bigint[] {
  if (firstCoefficients.length !== inputs.length) throw new RangeError('one first coefficient per MTA instance expected');
  const coefficients = expandCoefficients(seed, inputs.length);
  const shares: bigint[] = [];
  for (let u = 0; u < inputs.length; u += 1) {
    const base = u * MTA_OTS;
    let coefficientSum = firstCoefficients[u]!;
    let weighted = firstCoefficients[u]! * v0[base]!;
    for (let i = 1; i < MTA_OTS; i += 1) {
      const g = coefficients[u * (MTA_OTS - 1) + i - 1]!;
      coefficientSum += g;
      weighted += g * v0[base + i]!;
    }
    // α = −Σ gᵢ·(v0ᵢ + a)
    shares.push(Fn.neg(Fn.create(weighted + inputs[u]! * coefficientSum)));
  }
  return shares;
}
