/**
 * Shamir polynomials, their Feldman commitments, and Lagrange coefficients. Participant p holds the
 * evaluation at x = p + 1 (as in cait-sith), so participant id 0 is valid and x is never 0.
 */
import type { IField } from '@noble/curves/abstract/modular.js';
import { randomScalar, type Group, type GroupPoint } from './group.js';
import type { ParticipantId } from './protocol.js';

/** The evaluation point of a participant's share. */
export function participantScalar(id: ParticipantId): bigint {
  return BigInt(id) + 1n;
}

/** Coefficients c₀ … c_degree of a random polynomial with f(0) = constant. */
export function randomPolynomial(Fn: IField<bigint>, constant: bigint, degree: number, rng?: (length: number) => Uint8Array): bigint[] {
  const coefficients = [Fn.create(constant)];
  for (let i = 0; i < degree; i += 1) coefficients.push(randomScalar(Fn, rng));
  return coefficients;
}

/** f(x) by Horner's rule. */
export function evaluatePolynomial(Fn: IField<bigint>, coefficients: readonly bigint[], x: bigint): bigint {
  let result = 0n;
  for (let i = coefficients.length - 1; i >= 0; i -= 1) result = Fn.add(Fn.mul(result, x), coefficients[i]!);
  return result;
}

/** Feldman commitment: cᵢ·G for every coefficient. */
export function commitPolynomial<P extends GroupPoint<P>>(group: Group<P>, coefficients: readonly bigint[]): P[] {
  return coefficients.map((c) => group.scaleBase(c));
}

/** F(x) = Σ xⁱ·Cᵢ, the public image of f(x). */
export function evaluateCommitment<P extends GroupPoint<P>>(group: Group<P>, commitments: readonly P[], x: bigint): P {
  let result = group.identity;
  for (let i = commitments.length - 1; i >= 0; i -= 1) result = group.scale(result, x).add(commitments[i]!);
  return result;
}

/**
 * λ_me(at) for interpolating over the participants' points: Σ λᵢ·f(xᵢ) = f(at). Throws if `me` is
 * not in the set or the set has duplicates.
 */
export function lagrangeCoefficient(Fn: IField<bigint>, participants: readonly ParticipantId[], me: ParticipantId, at = 0n): bigint {
  if (!participants.includes(me)) throw new RangeError(`participant ${me} is not in the interpolation set`);
  if (new Set(participants).size !== participants.length) throw new RangeError('interpolation set has duplicates');
  const xMe = participantScalar(me);
  let numerator = 1n;
  let denominator = 1n;
  for (const other of participants) {
    if (other === me) continue;
    const xOther = participantScalar(other);
    numerator = Fn.mul(numerator, Fn.sub(at, xOther));
    denominator = Fn.mul(denominator, Fn.sub(xMe, xOther));
  }
  return Fn.div(numerator, denominator);
}
