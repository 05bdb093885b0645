/**
 * Gas accounting. Gas is charged per host call and per byte moved, with costs close to NEAR's
 * runtime config (parameters.yaml of nearcore 2.x, rounded); a wasm call also pays for loading its
 * code. Wasm instructions themselves are not metered (nearcore instruments the module; the devnet
 * runs it as compiled). It is enough to bound a call: a contract that loops over host calls runs out
 * of its prepaid gas and fails with `GasExceeded`, as on NEAR. A loop that never calls the host, in
 * JavaScript or in wasm, cannot be interrupted in process.
 */
import type { Action, NearErrorJson } from './types.js';

export const TERA_GAS = 1_000_000_000_000n;
/** The most gas one transaction or function call can attach (NEAR `max_total_prepaid_gas`). */
export const MAX_PREPAID_GAS = 300n * TERA_GAS;
/** View calls get the same budget as nearcore's default `max_gas_burnt_view`. */
export const VIEW_CALL_GAS = 300n * TERA_GAS;
/** NEAR's storage staking price: 10¹⁹ yoctoNEAR per byte (1 NEAR per 100 kB) must stay in the account. */
export const STORAGE_PRICE_PER_BYTE = 10_000_000_000_000_000_000n;
/** yoctoNEAR per gas unit; NEAR's minimum gas price, constant here (one shard, no congestion). */
export const GAS_PRICE = 100_000_000n;

/**
 * Fees of one action (sending it plus executing it), and per-host-call costs: nearcore's current
 * runtime parameters (core/parameters/res/runtime_configs/parameters.snap), send and execution
 * summed, rounded to three digits.
 */
export const GAS_COSTS = {
  actionReceiptCreation: 216_000_000_000n,
  dataReceiptCreation: 73_000_000_000n,
  dataReceiptPerByte: 34_400_000n,
  createAccount: 7_700_000_000_000n,
  deployContract: 370_000_000_000n,
  deployContractPerByte: 71_400_000n,
  functionCall: 980_000_000_000n,
  functionCallPerByte: 4_470_000n,
  transfer: 230_000_000_000n,
  addKey: 204_000_000_000n,
  deleteKey: 190_000_000_000n,
  deleteAccount: 295_000_000_000n,
  hostCall: 265_000_000n,
  storageRead: 56_400_000_000n,
  storageReadPerKeyByte: 31_000_000n,
  storageReadPerValueByte: 5_610_000n,
  storageWrite: 64_200_000_000n,
  storageWritePerKeyByte: 70_500_000n,
  storageWritePerValueByte: 31_000_000n,
  storageRemove: 53_500_000_000n,
  storageRemovePerKeyByte: 38_200_000n,
  log: 3_540_000_000n,
  logPerByte: 13_200_000n,
  promiseYieldCreate: 153_000_000_000n,
  promiseYieldResume: 1_196_000_000_000n,
  /** Moving bytes between host and contract (memory and registers), per byte. */
  ioPerByte: 3_800_000n,
  promiseAnd: 1_465_000_000n,
  promiseAndPerPromise: 5_450_000n,
  /** Loading a wasm contract for one call: a base and a charge per byte of code. */
  wasmLoading: 35_400_000n,
  wasmLoadingPerByte: 1_089_000n,
  /** One opcode counted by a module's own `gas(opcodes)` import (nearcore `regular_op_cost`). */
  wasmRegularOp: 822_756n,
  sha256: 4_540_000_000n,
  sha256PerByte: 24_100_000n,
  keccak256: 5_880_000_000n,
  keccak256PerByte: 21_500_000n,
  keccak512: 5_810_000_000n,
  keccak512PerByte: 36_600_000n,
  ripemd160: 854_000_000n,
  /** nearcore charges 680 Mgas per 64-byte block; per byte here. */
  ripemd160PerByte: 10_600_000n,
  ecrecover: 278_800_000_000n,
  ed25519Verify: 210_000_000_000n,
  ed25519VerifyPerByte: 9_000_000n,
  bls12381P1Decompress: 15_000_000_000n,
  bls12381P1DecompressPerElement: 81_000_000_000n,
  bls12381P2Decompress: 15_000_000_000n,
  bls12381P2DecompressPerElement: 165_000_000_000n,
  bls12381Pairing: 2_130_000_000_000n,
  bls12381PairingPerElement: 2_130_000_000_000n,
} as const;

/** A host function refused to continue; the receipt fails with `FunctionCallError: HostError(…)`. */
export class HostFailure extends Error {
  constructor(readonly hostError: NearErrorJson) {
    super(typeof hostError === 'string' ? hostError : JSON.stringify(hostError));
    this.name = 'HostFailure';
  }
}

/**
 * Counts one function call's gas: `burnt` is spent, `attached` went to promises it created. Both
 * come out of `prepaid`; running past it fails the call with `GasExceeded`.
 */
export class GasMeter {
  private burntGas = 0n;
  private attachedGas = 0n;

  constructor(readonly prepaid: bigint) {}

  get burnt(): bigint {
    return this.burntGas;
  }

  get attached(): bigint {
    return this.attachedGas;
  }

  get used(): bigint {
    return this.burntGas + this.attachedGas;
  }

  get remaining(): bigint {
    return this.prepaid - this.used;
  }

  burn(gas: bigint): void {
    if (this.used + gas > this.prepaid) {
      this.burntGas = this.prepaid - this.attachedGas;
      throw new HostFailure('GasExceeded');
    }
    this.burntGas += gas;
  }

  /** Reserves gas for a promise: it is used by this call but burnt by the receipt it becomes. */
  attach(gas: bigint): void {
    if (this.used + gas > this.prepaid) throw new HostFailure('GasExceeded');
    this.attachedGas += gas;
  }
}

/** Send-plus-execution fee of one action; what a transaction or promise prepays besides attached gas. */
export function actionFee(action: Action): bigint {
  switch (action.type) {
    case 'CreateAccount':
      return GAS_COSTS.createAccount;
    case 'DeployContract':
      return GAS_COSTS.deployContract + GAS_COSTS.deployContractPerByte * BigInt(action.code.length);
    case 'FunctionCall':
      return GAS_COSTS.functionCall + GAS_COSTS.functionCallPerByte * BigInt(action.methodName.length + action.args.length);
    case 'Transfer':
      return GAS_COSTS.transfer;
    case 'AddKey':
      return GAS_COSTS.addKey;
    case 'DeleteKey':
      return GAS_COSTS.deleteKey;
    case 'DeleteAccount':
      return GAS_COSTS.deleteAccount;
  }
}
