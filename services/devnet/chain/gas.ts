/**
 * Gas accounting. Contracts run as JavaScript in process, so gas is charged per host call and per
 * byte moved, with costs close to NEAR's runtime config (parameters.yaml of nearcore 2.x, rounded).
 * It is enough to bound a call: a contract that loops over host calls runs out of its prepaid gas
 * and fails with `GasExceeded`, as on NEAR. A pure JavaScript loop that never calls the host cannot
 * be interrupted in process; contracts hosted here are the project's own.
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

/** Fees of one action (sending it plus executing it), and per-host-call costs. */
export const GAS_COSTS = {
  actionReceiptCreation: 216_000_000_000n,
  dataReceiptCreation: 72_000_000_000n,
  dataReceiptPerByte: 34_000_000n,
  createAccount: 200_000_000_000n,
  deployContract: 370_000_000_000n,
  functionCall: 4_600_000_000_000n,
  functionCallPerByte: 4_700_000n,
  transfer: 230_000_000_000n,
  addKey: 200_000_000_000n,
  deleteKey: 190_000_000_000n,
  deleteAccount: 290_000_000_000n,
  hostCall: 265_000_000n,
  storageRead: 56_400_000_000n,
  storageReadPerKeyByte: 31_000_000n,
  storageReadPerValueByte: 5_600_000n,
  storageWrite: 64_200_000_000n,
  storageWritePerKeyByte: 70_500_000n,
  storageWritePerValueByte: 31_000_000n,
  storageRemove: 53_500_000_000n,
  storageRemovePerKeyByte: 38_200_000n,
  log: 3_540_000_000n,
  logPerByte: 13_200_000n,
  promiseYieldCreate: 300_000_000_000n,
  promiseYieldResume: 50_000_000_000n,
  ioPerByte: 3_300_000n,
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
      return GAS_COSTS.deployContract;
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
