/**
 * Seeds for fault-injection scenarios: every random choice a fault makes (which frame to drop, how long
 * to delay, which call to fail) comes from one seeded generator, so a failing scenario replays exactly
 * with `FAULT_SEED=<seed>`. {@link withFaultSeed} puts the seed into the failure message.
 */

/** A deterministic generator of floats in [0, 1) (mulberry32: small, fast, good enough to pick faults; never for keys). */
export type FaultRandom = () => number;

export function seededRandom(seed: number): FaultRandom {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The scenario's seed: `FAULT_SEED` from the environment when set (to replay a failure), else a fresh one. */
export function faultSeed(): number {
  const fromEnvironment = process.env.FAULT_SEED;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    const seed = Number(fromEnvironment);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`FAULT_SEED must be an integer in [0, 2^32), got ${fromEnvironment}`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/** Runs a scenario with a seed; a failure is rethrown with the seed that replays it. */
export async function withFaultSeed<T>(scenario: string, run: (random: FaultRandom, seed: number) => Promise<T>): Promise<T> {
  const seed = faultSeed();
  try {
    return await run(seededRandom(seed), seed);
  } catch (error) {
    if (error instanceof Error) {
      error.message = `${error.message}\n(fault scenario "${scenario}", replay with FAULT_SEED=${seed})`;
      throw error;
    }
    throw new Error(`${String(error)}\n(fault scenario "${scenario}", replay with FAULT_SEED=${seed})`);
  }
}
