/**
 * The runtime: what one block does to the state. Transactions are checked and turned into action
 * receipts; delivered receipts either execute (all input data present) or wait; action receipts run
 * their actions on a {@link StateOverlay} (all or nothing), hosting contract methods through
 * {@link FunctionCallHost}; results flow on as data receipts; failures refund deposits to the
 * predecessor; unused gas is refunded to the signer. Yields time out after `yieldTimeoutBlocks`.
 */
import type { PromiseResult } from '../../../contract/host.js';
import { contractCodeOf } from './contract-code.js';
import { contractMethod, functionCallError, type ContractCatalog } from './contract-runner.js';
import { hashId, isImplicitAccountId, isSubAccountOf, isTopLevelAccountId, u64Bytes } from './encoding.js';
import { ContractViewError, InvalidTransactionError, NoContractCodeError, UnknownAccountError } from './errors.js';
import { FunctionCallHost, execFee, sendFee, type IdAllocator } from './function-call-host.js';
import { GAS_COSTS, GasMeter, STORAGE_PRICE_PER_BYTE, VIEW_CALL_GAS, actionFee } from './gas.js';
import { formatPublicKey } from './keys.js';
import { StateOverlay, storageUsage, type ChainState, type MutableAccount } from './state.js';
import type {
  AccountId,
  Action,
  ActionReceipt,
  ChainTransaction,
  CryptoHash,
  DataReceipt,
  DataReceiver,
  ExecutionOutcome,
  ExecutionStatus,
  NearErrorJson,
  Receipt,
} from './types.js';

/** What the runtime needs to know about the block it executes in. */
export interface BlockEnvironment {
  readonly height: number;
  readonly timestampNs: bigint;
  readonly randomSeed: Uint8Array;
  readonly gasPrice: bigint;
  /** The account allowed to create short top-level accounts (NEAR's registrar). */
  readonly registrarId: AccountId;
  readonly yieldTimeoutBlocks: number;
  readonly contracts: ContractCatalog;
  /** Whether a transaction's `block_hash` is a block of this chain recent enough to accept. */
  readonly referencedBlock: (hash: CryptoHash) => 'recent' | 'expired' | 'unknown';
}

/** An outcome before the block hash is known (the hash covers what the block executed). */
export type OutcomeDraft = Omit<ExecutionOutcome, 'blockHash'>;

export interface ChunkResult {
  /** Receipts delivered in this block, in delivery order. */
  readonly delivered: Receipt[];
  readonly executed: { readonly receipt: ActionReceipt; readonly outcome: OutcomeDraft }[];
  readonly included: { readonly transaction: ChainTransaction; readonly outcome: OutcomeDraft }[];
  /** Transactions that became invalid between submission and inclusion. */
  readonly rejected: { readonly transaction: ChainTransaction; readonly error: InvalidTransactionError }[];
  /** Receipts for the next block. */
  readonly outgoing: Receipt[];
  readonly gasBurnt: bigint;
  readonly tokensBurnt: bigint;
}

const SYSTEM_ACCOUNT = 'system';
const SYSTEM_PUBLIC_KEY = formatPublicKey('ed25519', new Uint8Array(32));
/** nearcore `ACCESS_KEY_NONCE_RANGE_MULTIPLIER`: new keys start at (height − 1) × 10⁶, nonces stay below height × 10⁶. */
const NONCE_RANGE_MULTIPLIER = 1_000_000n;

/** An action could not be applied; the receipt fails with `ActionError { index, kind }`. */
class ActionFailure extends Error {
  constructor(readonly kind: NearErrorJson) {
    super(JSON.stringify(kind));
  }
}

function idAllocator(parentId: CryptoHash): IdAllocator {
  let counter = 0;
  return {
    receiptId: () => hashId(parentId, u64Bytes(counter++), 'receipt'),
    dataId: () => hashId(parentId, u64Bytes(counter++), 'data'),
  };
}

const totalFee = (actions: readonly Action[]): bigint => actions.reduce<bigint>((sum, action) => sum + actionFee(action), GAS_COSTS.actionReceiptCreation);
const attachedGas = (actions: readonly Action[]): bigint => actions.reduce((sum, action) => sum + (action.type === 'FunctionCall' ? action.gas : 0n), 0n);
const attachedDeposit = (actions: readonly Action[]): bigint =>
  actions.reduce((sum, action) => sum + (action.type === 'FunctionCall' || action.type === 'Transfer' ? action.deposit : 0n), 0n);

function refundReceipt(parentId: CryptoHash, index: number, receiverId: AccountId, amount: bigint, originTxHash: CryptoHash): ActionReceipt {
  return {
    kind: 'action',
    receiptId: hashId(parentId, u64Bytes(index), 'refund'),
    predecessorId: SYSTEM_ACCOUNT,
    receiverId,
    originTxHash,
    signerId: SYSTEM_ACCOUNT,
    signerPublicKey: SYSTEM_PUBLIC_KEY,
    gasPrice: 0n,
    outputDataReceivers: [],
    inputDataIds: [],
    actions: [{ type: 'Transfer', deposit: amount }],
    isPromiseYield: false,
    isRefund: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Transactions

/** nearcore `verify_and_charge_transaction` without the charge: throws the `InvalidTxError` a node would. */
export function checkTransaction(accounts: ReadonlyMap<AccountId, MutableAccount>, tx: ChainTransaction, env: BlockEnvironment): { cost: bigint } {
  const reference = env.referencedBlock(tx.blockHash);
  if (reference === 'unknown') throw new InvalidTransactionError('InvalidChain', `unknown block hash ${tx.blockHash}`);
  if (reference === 'expired') throw new InvalidTransactionError('Expired', `block ${tx.blockHash} is too old`);
  const signer = accounts.get(tx.signerId);
  if (signer === undefined) throw new InvalidTransactionError({ SignerDoesNotExist: { signer_id: tx.signerId } }, `signer ${tx.signerId} does not exist`);
  const key = signer.keys.get(tx.publicKey);
  if (key === undefined) {
    throw new InvalidTransactionError({ InvalidAccessKeyError: { AccessKeyNotFound: { account_id: tx.signerId, public_key: tx.publicKey } } }, `no access key ${tx.publicKey} on ${tx.signerId}`);
  }
  if (tx.nonce <= key.nonce) {
    throw new InvalidTransactionError({ InvalidNonce: { tx_nonce: Number(tx.nonce), ak_nonce: Number(key.nonce) } }, `Transaction nonce ${tx.nonce} must be larger than nonce of the used access key ${key.nonce}`);
  }
  const upperBound = BigInt(env.height) * NONCE_RANGE_MULTIPLIER;
  if (tx.nonce >= upperBound) throw new InvalidTransactionError({ NonceTooLarge: { tx_nonce: Number(tx.nonce), upper_bound: Number(upperBound) } }, 'nonce too large');
  const cost = attachedDeposit(tx.actions) + env.gasPrice * (totalFee(tx.actions) + attachedGas(tx.actions));
  if (key.permission.kind === 'FunctionCall') {
    const permission = key.permission;
    const accessError = (error: NearErrorJson, detail: string): never => {
      throw new InvalidTransactionError({ InvalidAccessKeyError: error }, detail);
    };
    const [action, ...rest] = tx.actions;
    if (action === undefined || rest.length > 0 || action.type !== 'FunctionCall') accessError('RequiresFullAccess', 'a function-call key signs exactly one function call');
    const call = action as Extract<Action, { type: 'FunctionCall' }>;
    if (call.deposit > 0n) accessError('DepositWithFunctionCallAccessKey', 'a function-call key cannot attach a deposit');
    if (tx.receiverId !== permission.receiverId) {
      accessError({ ReceiverMismatch: { tx_receiver: tx.receiverId, ak_receiver: permission.receiverId } }, 'receiver does not match the key');
    }
    if (permission.methodNames.length > 0 && !permission.methodNames.includes(call.methodName)) {
      accessError({ MethodNameMismatch: { method_name: call.methodName } }, `method ${call.methodName} is not allowed by the key`);
    }
    if (permission.allowance !== null && permission.allowance < cost) {
      accessError(
        { NotEnoughAllowance: { account_id: tx.signerId, public_key: tx.publicKey, allowance: permission.allowance.toString(), cost: cost.toString() } },
        'allowance too low',
      );
    }
  }
  if (signer.amount < cost) {
    throw new InvalidTransactionError({ NotEnoughBalance: { signer_id: tx.signerId, balance: signer.amount.toString(), cost: cost.toString() } }, 'balance too low');
  }
  return { cost };
}

function includeTransaction(state: ChainState, tx: ChainTransaction, env: BlockEnvironment): { outcome: OutcomeDraft; receipt: ActionReceipt } {
  const { cost } = checkTransaction(state.accounts, tx, env);
  const signer = state.accounts.get(tx.signerId)!;
  const key = signer.keys.get(tx.publicKey)!;
  const permission = key.permission;
  signer.amount -= cost;
  signer.keys.set(tx.publicKey, {
    nonce: tx.nonce,
    permission: permission.kind === 'FunctionCall' && permission.allowance !== null ? { ...permission, allowance: permission.allowance - cost } : permission,
  });
  const gasBurnt = sendFee(totalFee(tx.actions));
  const receipt: ActionReceipt = {
    kind: 'action',
    receiptId: hashId(tx.hash, 'receipt'),
    predecessorId: tx.signerId,
    receiverId: tx.receiverId,
    originTxHash: tx.hash,
    signerId: tx.signerId,
    signerPublicKey: tx.publicKey,
    gasPrice: env.gasPrice,
    outputDataReceivers: [],
    inputDataIds: [],
    actions: tx.actions,
    isPromiseYield: false,
    isRefund: false,
  };
  state.totalSupply -= gasBurnt * env.gasPrice;
  return {
    receipt,
    outcome: {
      id: tx.hash,
      logs: [],
      receiptIds: [receipt.receiptId],
      gasBurnt,
      tokensBurnt: gasBurnt * env.gasPrice,
      executorId: tx.signerId,
      status: { kind: 'SuccessReceiptId', receiptId: receipt.receiptId },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Action receipts

interface ReceiptWork {
  readonly receipt: ActionReceipt;
  readonly overlay: StateOverlay;
  readonly env: BlockEnvironment;
  readonly state: ChainState;
  readonly ids: IdAllocator;
  readonly inputs: readonly PromiseResult[];
  readonly logs: string[];
  readonly newReceipts: ActionReceipt[];
  readonly createdYields: CryptoHash[];
  readonly resumes: { dataId: CryptoHash; payload: Uint8Array }[];
  /** Wasm deployed by this receipt, kept by the chain only if the receipt succeeds. */
  readonly deployedCode: Map<CryptoHash, Uint8Array>;
  functionGasBurnt: bigint;
  functionGasAttached: bigint;
  /** What the last action returned: bytes, or the receipt id of a returned promise. */
  result: { kind: 'value'; value: Uint8Array } | { kind: 'promise'; receiptId: CryptoHash; receivers: DataReceiver[] };
}

function requireActor(work: ReceiptWork, actorIsReceiver: boolean): void {
  if (!actorIsReceiver) throw new ActionFailure({ ActorNoPermission: { account_id: work.receipt.receiverId, actor_id: work.receipt.predecessorId } });
}

function runFunctionCall(work: ReceiptWork, account: MutableAccount, action: Extract<Action, { type: 'FunctionCall' }>): void {
  const { receipt, env } = work;
  account.amount += action.deposit;
  if (account.contract === null) throw new ActionFailure({ FunctionCallError: { CompilationError: { CodeDoesNotExist: { account_id: receipt.receiverId } } } });
  const method = contractMethod(env.contracts, (codeHash) => work.deployedCode.get(codeHash) ?? work.state.code.get(codeHash), account.contract, action.methodName, 'call');
  const meter = new GasMeter(action.gas);
  const host = new FunctionCallHost({
    mode: 'call',
    methodName: action.methodName,
    accountId: receipt.receiverId,
    account,
    predecessorId: receipt.predecessorId,
    signerId: receipt.signerId,
    signerPublicKey: receipt.signerPublicKey,
    attachedDeposit: action.deposit,
    input: action.args,
    blockHeight: env.height,
    blockTimestampNs: env.timestampNs,
    randomSeed: env.randomSeed,
    meter,
    promiseResults: work.inputs,
    yields: work.state.yields,
    ids: work.ids,
  });
  let failure: unknown = null;
  try {
    method(host);
  } catch (error) {
    failure = error;
  }
  const effects = host.effects();
  work.logs.push(...effects.logs);
  work.functionGasBurnt += meter.burnt;
  if (failure !== null) throw new ActionFailure({ FunctionCallError: functionCallError(failure, 'call') });
  work.functionGasAttached += meter.attached;
  const drafts = effects.promises.map(
    (draft): ActionReceipt => ({
      kind: 'action',
      receiptId: draft.receiptId,
      predecessorId: receipt.receiverId,
      receiverId: draft.receiverId,
      originTxHash: receipt.originTxHash,
      signerId: receipt.signerId,
      signerPublicKey: receipt.signerPublicKey,
      gasPrice: receipt.gasPrice,
      outputDataReceivers: draft.outputDataReceivers,
      inputDataIds: draft.inputDataIds,
      actions: draft.actions,
      isPromiseYield: draft.isPromiseYield,
      isRefund: false,
    }),
  );
  work.newReceipts.push(...drafts);
  work.createdYields.push(...effects.createdYields);
  work.resumes.push(...effects.resumedYields);
  work.result =
    effects.returnedPromise !== null
      ? { kind: 'promise', receiptId: effects.promises[effects.returnedPromise]!.receiptId, receivers: effects.promises[effects.returnedPromise]!.outputDataReceivers }
      : { kind: 'value', value: effects.returnValue ?? new Uint8Array() };
}

function newAccount(amount = 0n): MutableAccount {
  return { amount, locked: 0n, contract: null, keys: new Map(), storage: new Map() };
}

function applyAction(work: ReceiptWork, action: Action, index: number, createdHere: { value: boolean }): void {
  const { receipt, overlay, env } = work;
  const receiverId = receipt.receiverId;
  const actorIsReceiver = receipt.predecessorId === receiverId || createdHere.value;
  if (action.type === 'CreateAccount') {
    if (overlay.has(receiverId)) throw new ActionFailure({ AccountAlreadyExists: { account_id: receiverId } });
    const allowed = isSubAccountOf(receiverId, receipt.predecessorId) || (isTopLevelAccountId(receiverId) && (receiverId.length >= 32 || receipt.predecessorId === env.registrarId));
    if (!allowed) {
      throw new ActionFailure(
        isTopLevelAccountId(receiverId)
          ? { CreateAccountOnlyByRegistrar: { account_id: receiverId, registrar_account_id: env.registrarId, predecessor_id: receipt.predecessorId } }
          : { CreateAccountNotAllowed: { account_id: receiverId, predecessor_id: receipt.predecessorId } },
      );
    }
    overlay.create(receiverId, newAccount());
    createdHere.value = true;
    return;
  }
  let account = overlay.get(receiverId);
  if (account === undefined && action.type === 'Transfer' && index === 0 && isImplicitAccountId(receiverId)) {
    // NEAR implicit accounts: the first transfer creates the account with the key its id spells.
    account = newAccount();
    account.keys.set(formatPublicKey('ed25519', Buffer.from(receiverId, 'hex')), { nonce: BigInt(env.height - 1) * NONCE_RANGE_MULTIPLIER, permission: { kind: 'FullAccess' } });
    overlay.create(receiverId, account);
  }
  if (account === undefined) throw new ActionFailure({ AccountDoesNotExist: { account_id: receiverId } });
  // The receipt's result is its last action's: only a function call returns something.
  if (action.type !== 'FunctionCall') work.result = { kind: 'value', value: new Uint8Array() };
  switch (action.type) {
    case 'Transfer':
      account.amount += action.deposit;
      return;
    case 'FunctionCall':
      runFunctionCall(work, account, action);
      return;
    case 'DeployContract': {
      requireActor(work, actorIsReceiver);
      const contract = contractCodeOf(action.code);
      if (contract.kind === 'wasm') work.deployedCode.set(contract.codeHash, action.code);
      account.contract = contract;
      return;
    }
    case 'AddKey':
      requireActor(work, actorIsReceiver);
      if (account.keys.has(action.publicKey)) throw new ActionFailure({ AddKeyAlreadyExists: { account_id: receiverId, public_key: action.publicKey } });
      account.keys.set(action.publicKey, { nonce: BigInt(env.height - 1) * NONCE_RANGE_MULTIPLIER, permission: action.accessKey.permission });
      return;
    case 'DeleteKey':
      requireActor(work, actorIsReceiver);
      if (!account.keys.delete(action.publicKey)) throw new ActionFailure({ DeleteKeyDoesNotExist: { account_id: receiverId, public_key: action.publicKey } });
      return;
    case 'DeleteAccount': {
      requireActor(work, actorIsReceiver);
      const balance = account.amount;
      overlay.delete(receiverId);
      if (balance > 0n) work.newReceipts.push(refundReceipt(receipt.receiptId, 1_000 + index, action.beneficiaryId, balance, receipt.originTxHash));
      return;
    }
  }
}

/**
 * NEAR's storage staking: after its actions, the receiver must hold 10¹⁹ yoctoNEAR per byte it
 * stores, or the whole receipt fails (`LackBalanceForState`, reported without an action index).
 */
function storageStakingFailure(work: ReceiptWork): NearErrorJson | null {
  const account = work.overlay.get(work.receipt.receiverId);
  if (account === undefined) return null;
  const required = BigInt(storageUsage(account)) * STORAGE_PRICE_PER_BYTE;
  const available = account.amount + account.locked;
  if (available >= required) return null;
  return { ActionError: { index: null, kind: { LackBalanceForState: { account_id: work.receipt.receiverId, amount: (required - available).toString() } } } };
}

function executeRefund(state: ChainState, receipt: ActionReceipt): OutcomeDraft {
  const account = state.accounts.get(receipt.receiverId);
  const amount = attachedDeposit(receipt.actions);
  // A refund to an account deleted meanwhile is burnt, as on NEAR.
  if (account === undefined) state.totalSupply -= amount;
  else account.amount += amount;
  return { id: receipt.receiptId, logs: [], receiptIds: [], gasBurnt: 0n, tokensBurnt: 0n, executorId: receipt.receiverId, status: { kind: 'SuccessValue', value: new Uint8Array() } };
}

/** Runs one action receipt whose inputs are all present; returns its outcome and the receipts it sends. */
function executeActionReceipt(state: ChainState, receipt: ActionReceipt, inputs: readonly PromiseResult[], env: BlockEnvironment): { outcome: OutcomeDraft; outgoing: Receipt[] } {
  if (receipt.isRefund) return { outcome: executeRefund(state, receipt), outgoing: [] };
  const work: ReceiptWork = {
    receipt,
    overlay: new StateOverlay(state.accounts),
    env,
    state,
    ids: idAllocator(receipt.receiptId),
    inputs,
    logs: [],
    newReceipts: [],
    createdYields: [],
    resumes: [],
    deployedCode: new Map(),
    functionGasBurnt: 0n,
    functionGasAttached: 0n,
    result: { kind: 'value', value: new Uint8Array() },
  };
  const createdHere = { value: false };
  let failure: NearErrorJson | null = null;
  for (const [index, action] of receipt.actions.entries()) {
    try {
      applyAction(work, action, index, createdHere);
    } catch (error) {
      if (!(error instanceof ActionFailure)) throw error;
      failure = { ActionError: { index, kind: error.kind } };
      break;
    }
  }
  if (failure === null) failure = storageStakingFailure(work);
  const prepaidGas = attachedGas(receipt.actions);
  const gasBurnt = execFee(totalFee(receipt.actions)) + work.functionGasBurnt;
  const outgoing: Receipt[] = [];
  const refunds: ActionReceipt[] = [];
  let status: ExecutionStatus;
  let gasRefund: bigint;
  let returnedData: Uint8Array | null;
  if (failure !== null) {
    status = { kind: 'Failure', error: failure };
    gasRefund = prepaidGas - work.functionGasBurnt;
    returnedData = null;
    const deposit = attachedDeposit(receipt.actions);
    if (deposit > 0n) refunds.push(refundReceipt(receipt.receiptId, 0, receipt.predecessorId, deposit, receipt.originTxHash));
  } else {
    work.overlay.commit();
    for (const [codeHash, code] of work.deployedCode) state.code.set(codeHash, code);
    for (const dataId of work.createdYields) {
      state.yields.set(dataId, { accountId: receipt.receiverId, expiresAtHeight: env.height + env.yieldTimeoutBlocks, originTxHash: receipt.originTxHash });
    }
    for (const resume of work.resumes) {
      state.yields.delete(resume.dataId);
      outgoing.push(dataReceipt(work.ids.receiptId(), receipt.receiverId, receipt.receiverId, resume.dataId, resume.payload, true, receipt.originTxHash));
    }
    outgoing.push(...work.newReceipts);
    gasRefund = prepaidGas - work.functionGasBurnt - work.functionGasAttached;
    if (work.result.kind === 'promise') {
      // `promise_return`: whoever waited for this receipt's result now waits for the returned promise.
      work.result.receivers.push(...receipt.outputDataReceivers);
      status = { kind: 'SuccessReceiptId', receiptId: work.result.receiptId };
      returnedData = null;
    } else {
      status = { kind: 'SuccessValue', value: work.result.value };
      returnedData = work.result.value;
    }
  }
  if (status.kind !== 'SuccessReceiptId') {
    for (const receiver of receipt.outputDataReceivers) {
      outgoing.push(dataReceipt(work.ids.receiptId(), receipt.receiverId, receiver.receiverId, receiver.dataId, returnedData, false, receipt.originTxHash));
    }
  }
  const gasRefundAmount = gasRefund * receipt.gasPrice;
  if (gasRefundAmount > 0n) refunds.push(refundReceipt(receipt.receiptId, 1, receipt.signerId, gasRefundAmount, receipt.originTxHash));
  outgoing.push(...refunds);
  const tokensBurnt = gasBurnt * receipt.gasPrice;
  state.totalSupply -= tokensBurnt;
  const sent = failure === null ? work.newReceipts : [];
  return {
    outgoing,
    outcome: {
      id: receipt.receiptId,
      logs: work.logs,
      receiptIds: [...sent, ...refunds].map((sentReceipt) => sentReceipt.receiptId),
      gasBurnt,
      tokensBurnt,
      executorId: receipt.receiverId,
      status,
    },
  };
}

function dataReceipt(receiptId: CryptoHash, from: AccountId, to: AccountId, dataId: CryptoHash, data: Uint8Array | null, isPromiseResume: boolean, originTxHash: CryptoHash): DataReceipt {
  return { kind: 'data', receiptId, predecessorId: from, receiverId: to, originTxHash, dataId, data, isPromiseResume };
}

// ---------------------------------------------------------------------------------------------
// A block's chunk

function takeInputs(state: ChainState, receipt: ActionReceipt): PromiseResult[] | null {
  if (!receipt.inputDataIds.every((dataId) => state.receivedData.has(dataId))) return null;
  return receipt.inputDataIds.map((dataId) => {
    const data = state.receivedData.get(dataId)!;
    state.receivedData.delete(dataId);
    return data === null ? { status: 'failed' } : { status: 'successful', value: data };
  });
}

/**
 * Applies one block: delivers the receipts sent by the previous block (plus yield timeouts that
 * fall due), executes what is ready, then includes the transactions. Mutates `state`.
 */
export function applyChunk(state: ChainState, transactions: readonly ChainTransaction[], env: BlockEnvironment): ChunkResult {
  const result: ChunkResult = { delivered: [], executed: [], included: [], rejected: [], outgoing: [], gasBurnt: 0n, tokensBurnt: 0n };
  const record = (receipt: ActionReceipt, inputs: readonly PromiseResult[]): void => {
    const { outcome, outgoing } = executeActionReceipt(state, receipt, inputs, env);
    result.executed.push({ receipt, outcome });
    result.outgoing.push(...outgoing);
  };
  const incoming = state.incoming;
  state.incoming = [];
  for (const [dataId, parked] of [...state.yields]) {
    if (parked.expiresAtHeight > env.height) continue;
    state.yields.delete(dataId);
    incoming.push(dataReceipt(hashId(dataId, 'yield-timeout'), parked.accountId, parked.accountId, dataId, null, true, parked.originTxHash));
  }
  for (const receipt of incoming) {
    result.delivered.push(receipt);
    if (receipt.kind === 'action') {
      const inputs = takeInputs(state, receipt);
      if (inputs !== null) {
        record(receipt, inputs);
        continue;
      }
      state.postponed.set(receipt.receiptId, receipt);
      for (const dataId of receipt.inputDataIds) if (!state.receivedData.has(dataId)) state.awaitedData.set(dataId, receipt.receiptId);
      continue;
    }
    state.receivedData.set(receipt.dataId, receipt.data);
    const waitingId = state.awaitedData.get(receipt.dataId);
    if (waitingId === undefined) continue;
    state.awaitedData.delete(receipt.dataId);
    const waiting = state.postponed.get(waitingId)!;
    const inputs = takeInputs(state, waiting);
    if (inputs === null) continue;
    state.postponed.delete(waitingId);
    record(waiting, inputs);
  }
  for (const transaction of transactions) {
    try {
      const { outcome, receipt } = includeTransaction(state, transaction, env);
      result.included.push({ transaction, outcome });
      result.outgoing.push(receipt);
    } catch (error) {
      if (!(error instanceof InvalidTransactionError)) throw error;
      result.rejected.push({ transaction, error });
    }
  }
  state.incoming = result.outgoing;
  const outcomes = [...result.included.map((entry) => entry.outcome), ...result.executed.map((entry) => entry.outcome)];
  return {
    ...result,
    gasBurnt: outcomes.reduce((sum, outcome) => sum + outcome.gasBurnt, 0n),
    tokensBurnt: outcomes.reduce((sum, outcome) => sum + outcome.tokensBurnt, 0n),
  };
}

// ---------------------------------------------------------------------------------------------
// View calls

/** `query call_function`: runs a view method against the head state; nothing it does is kept. */
export function runViewCall(
  state: ChainState,
  accountId: AccountId,
  methodName: string,
  args: Uint8Array,
  env: Pick<BlockEnvironment, 'height' | 'timestampNs' | 'randomSeed' | 'contracts'>,
): { result: Uint8Array; logs: string[] } {
  const base = state.accounts.get(accountId);
  if (base === undefined) throw new UnknownAccountError(accountId);
  if (base.contract === null) throw new NoContractCodeError(accountId);
  const method = contractMethod(env.contracts, (codeHash) => state.code.get(codeHash), base.contract, methodName, 'view');
  const host = new FunctionCallHost({
    mode: 'view',
    methodName,
    accountId,
    account: new StateOverlay(state.accounts).get(accountId)!,
    predecessorId: accountId,
    signerId: accountId,
    signerPublicKey: SYSTEM_PUBLIC_KEY,
    attachedDeposit: 0n,
    input: args,
    blockHeight: env.height,
    blockTimestampNs: env.timestampNs,
    randomSeed: env.randomSeed,
    meter: new GasMeter(VIEW_CALL_GAS),
    promiseResults: [],
    yields: new Map(),
    ids: idAllocator(hashId('view', accountId, methodName)),
  });
  try {
    method(host);
  } catch (error) {
    throw new ContractViewError(functionCallError(error, 'view'));
  }
  const effects = host.effects();
  return { result: effects.returnValue ?? new Uint8Array(), logs: [...effects.logs] };
}
