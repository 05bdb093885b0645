/**
 * The two prime-order groups the network signs with, behind one small interface so that key
 * generation, resharing and polynomial commitments are written once for both curves.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { IField } from '@noble/curves/abstract/modular.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { Ed25519Point, Secp256k1Point } from './kdf.js';
import { readUint256, readUint256LE, writeUint256, writeUint256LE } from './scalar-bytes.js';

export type CurveId = 'secp256k1' | 'ed25519';

/** The operations this project needs from a noble point class. */
export interface GroupPoint<P> {
  add(other: P): P;
  subtract(other: P): P;
  negate(): P;
  equals(other: P): boolean;
  is0(): boolean;
  toBytes(compressed?: boolean): Uint8Array;
}

export interface Group<P extends GroupPoint<P>> {
  readonly curve: CurveId;
  /** The scalar field (order of the group). */
  readonly Fn: IField<bigint>;
  readonly generator: P;
  readonly identity: P;
  /** Length of an encoded point (compressed) and scalar. */
  readonly pointBytes: number;
  readonly scalarBytes: number;
  /** s·P; s may be 0 (noble's own `multiply` refuses 0). Constant-time for secret s. */
  scale(point: P, scalar: bigint): P;
  /** s·G for a secret s. */
  scaleBase(scalar: bigint): P;
  /** Decodes a point; throws on bytes that are not a valid group element (including identity). */
  pointFromBytes(bytes: Uint8Array): P;
  scalarToBytes(scalar: bigint): Uint8Array;
  /** Decodes a canonical scalar; throws when it is not below the group order. */
  scalarFromBytes(bytes: Uint8Array): bigint;
}

function makeGroup<P extends GroupPoint<P> & { multiply(s: bigint): P }>(
  curve: CurveId,
  Point: { BASE: P; ZERO: P; Fn: IField<bigint>; fromBytes(bytes: Uint8Array): P },
  littleEndian: boolean,
): Group<P> {
  const Fn = Point.Fn;
  const scalarBytes = Fn.BYTES;
  // Both curves' scalars are 32 bytes; the DataView conversions index no table by a (secret) byte.
  const read = littleEndian ? readUint256LE : readUint256;
  const write = littleEndian ? writeUint256LE : writeUint256;
  return {
    curve,
    Fn,
    generator: Point.BASE,
    identity: Point.ZERO,
    pointBytes: Point.BASE.toBytes(true).length,
    scalarBytes,
    scale: (point, scalar) => {
      const reduced = Fn.create(scalar);
      return reduced === 0n ? Point.ZERO : point.multiply(reduced);
    },
    scaleBase: (scalar) => {
      const reduced = Fn.create(scalar);
      return reduced === 0n ? Point.ZERO : Point.BASE.multiply(reduced);
    },
    pointFromBytes: (bytes) => {
      const point = Point.fromBytes(bytes);
      if (point.is0()) throw new RangeError('point is the identity');
      return point;
    },
    scalarToBytes: (scalar) => {
      if (scalar < 0n || scalar >> 256n !== 0n) throw new RangeError('scalar does not fit in 32 bytes');
      const bytes = new Uint8Array(scalarBytes);
      write(bytes, 0, scalar);
      return bytes;
    },
    scalarFromBytes: (bytes) => {
      if (bytes.length !== scalarBytes) throw new RangeError(`scalar must be ${scalarBytes} bytes`);
      const value = read(bytes, 0);
      if (value >= Fn.ORDER) throw new RangeError('scalar is not below the group order');
      return value;
    },
  };
}

export const SECP256K1: Group<Secp256k1Point> = makeGroup('secp256k1', secp256k1.Point, false);
export const ED25519: Group<Ed25519Point> = makeGroup('ed25519', ed25519.Point, true);

/** A uniformly random scalar (64 extra bits before reduction make the bias negligible). */
export function randomScalar(Fn: IField<bigint>, rng: (length: number) => Uint8Array = randomBytes): bigint {
  if (Fn.BYTES !== 32) throw new RangeError('randomScalar draws 32-byte scalars');
  for (;;) {
    const bytes = rng(40);
    const value = Fn.create((readUint256(bytes, 0) << 64n) | new DataView(bytes.buffer, bytes.byteOffset + 32, 8).getBigUint64(0));
    if (value !== 0n) return value;
  }
}
