/**
 * NEAR's host functions for a wasm contract (the `env` imports of near-sdk contracts), each with
 * nearcore's signature and semantics: u64 arguments and results are BigInt, byte arguments are a
 * (len, ptr) pair in guest memory or, with len = u64::MAX, register `ptr`; results go to registers;
 * errors are nearcore's `HostError` kinds. Each function is a thin adapter over
 * {@link FunctionCallHost}, so wasm and TypeScript contracts share receipts, promises, yields,
 * storage and gas. A function the devnet does not implement is still importable and fails the
 * call that reaches it with `unsupported host function <name>`.
 */
import { keccak_256, keccak_512 } from '@noble/hashes/sha3.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ContractPanic } from '../../../../contract/host.js';
import { decodeUtf8, fromBase58, sha256Bytes } from '../encoding.js';
import type { FunctionCallHost } from '../function-call-host.js';
import { GAS_COSTS, HostFailure } from '../gas.js';
import { formatPublicKey, normalisePublicKey, type KeyCurve } from '../keys.js';
import type { Action } from '../types.js';
import { bls12381P1Decompress, bls12381P2Decompress, bls12381PairingCheck, ecrecover, ed25519Verify, P1_COMPRESSED_BYTES, P2_COMPRESSED_BYTES } from './crypto-functions.js';
import { UnsupportedHostFunctionError } from './errors.js';
import { GuestMemory, U64_MAX } from './guest-memory.js';
import { Registers } from './registers.js';

/** nearcore `max_contract_size`. */
const MAX_CONTRACT_BYTES = 4 * 1024 * 1024;
/** The devnet has one epoch, forever (see views.ts). */
const EPOCH_HEIGHT = 1n;
/** Borsh `PublicKey`: a curve tag byte, then the key (ed25519 32 bytes, secp256k1 x‖y 64 bytes). */
const PUBLIC_KEY_TAGS: readonly { readonly curve: KeyCurve; readonly bytes: number }[] = [
  { curve: 'ed25519', bytes: 32 },
  { curve: 'secp256k1', bytes: 64 },
];
const utf8 = new TextEncoder();
const utf16 = new TextDecoder('utf-16le', { fatal: true });

/** What one wasm function call's host functions share: the host, the registers and the guest memory. */
export class WasmCallContext {
  readonly registers = new Registers();
  private guestMemory = new GuestMemory(null);

  constructor(readonly host: FunctionCallHost) {}

  /** Called once the instance exists: host functions see its memory from then on. */
  attachMemory(memory: WebAssembly.Memory | null): void {
    this.guestMemory = new GuestMemory(memory);
  }

  get memory(): GuestMemory {
    return this.guestMemory;
  }

  /** A host function's base cost plus a cost per byte it moves across the boundary. */
  charge(bytes: number | bigint = 0): void {
    this.host.burnGas(GAS_COSTS.hostCall + GAS_COSTS.ioPerByte * BigInt(bytes));
  }

  /** nearcore `get_memory_or_register`: `len` bytes at `ptr`, or register `ptr` when `len` is u64::MAX. */
  bytes(ptr: bigint, len: bigint): Uint8Array {
    const bytes = len === U64_MAX ? this.registers.get(ptr).slice() : this.memory.read(ptr, len);
    this.host.burnGas(GAS_COSTS.ioPerByte * BigInt(bytes.length));
    return bytes;
  }

  setRegister(registerId: bigint, value: Uint8Array): void {
    this.host.burnGas(GAS_COSTS.ioPerByte * BigInt(value.length));
    this.registers.set(registerId, value);
  }

  /** A log or panic message: UTF-8, nul-terminated when `len` is u64::MAX, within the log budget. */
  utf8(len: bigint, ptr: bigint): string {
    const budget = this.host.remainingLogBytes();
    const bytes = len === U64_MAX ? this.memory.readTerminated(ptr, 1, budget) : len > BigInt(budget) ? null : this.memory.read(ptr, len);
    if (bytes === null) throw new HostFailure({ TotalLogLengthExceeded: { length: len === U64_MAX ? budget + 1 : Number(len), limit: budget } });
    this.host.burnGas(GAS_COSTS.ioPerByte * BigInt(bytes.length));
    try {
      return decodeUtf8(bytes);
    } catch {
      throw new HostFailure('BadUTF8');
    }
  }

  /** Like {@link utf8} for UTF-16LE, terminated by a two-byte zero when `len` is u64::MAX. */
  utf16(len: bigint, ptr: bigint): string {
    const budget = this.host.remainingLogBytes();
    const bytes = len === U64_MAX ? this.memory.readTerminated(ptr, 2, budget) : len > BigInt(budget) ? null : this.memory.read(ptr, len);
    if (bytes === null) throw new HostFailure({ TotalLogLengthExceeded: { length: len === U64_MAX ? budget + 1 : Number(len), limit: budget } });
    if (bytes.length % 2 !== 0) throw new HostFailure('BadUTF16');
    this.host.burnGas(GAS_COSTS.ioPerByte * BigInt(bytes.length));
    try {
      return utf16.decode(bytes);
    } catch {
      throw new HostFailure('BadUTF16');
    }
  }

  /** An account id argument (memory or register); the host checks its syntax (`InvalidAccountId`). */
  accountId(ptr: bigint, len: bigint): string {
    try {
      return decodeUtf8(this.bytes(ptr, len));
    } catch (error) {
      if (error instanceof HostFailure) throw error;
      throw new HostFailure('BadUTF8');
    }
  }

  /** A borsh `PublicKey` argument, in NEAR text form. */
  publicKey(ptr: bigint, len: bigint): string {
    const bytes = this.bytes(ptr, len);
    const tag = PUBLIC_KEY_TAGS[bytes[0] ?? -1];
    if (tag === undefined || bytes.length !== 1 + tag.bytes) throw new HostFailure('InvalidPublicKey');
    return formatPublicKey(tag.curve, bytes.subarray(1));
  }

  /** A method name argument: UTF-8, not empty. */
  methodName(ptr: bigint, len: bigint): string {
    let name: string;
    try {
      name = decodeUtf8(this.bytes(ptr, len));
    } catch (error) {
      if (error instanceof HostFailure) throw error;
      throw new HostFailure('InvalidMethodName');
    }
    if (name.length === 0) throw new HostFailure('EmptyMethodName');
    return name;
  }

  /** A promise index argument as the host counts them. */
  promiseIndex(index: bigint): number {
    return index > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(index);
  }
}

/** Borsh bytes of a NEAR text public key (what `signer_account_pk` writes). */
function publicKeyBorsh(text: string): Uint8Array {
  const normalised = normalisePublicKey(text);
  const [curve, body] = (normalised ?? '').split(':');
  const tag = PUBLIC_KEY_TAGS.findIndex((entry) => entry.curve === curve);
  if (tag < 0 || body === undefined) return new Uint8Array();
  return Uint8Array.from([tag, ...fromBase58(body)]);
}

const boolU64 = (value: boolean): bigint => (value ? 1n : 0n);

function functionCallAction(context: WasmCallContext, methodLen: bigint, methodPtr: bigint, argsLen: bigint, argsPtr: bigint, amountPtr: bigint, gas: bigint): Action {
  context.host.requireCall('promise_batch_action_function_call');
  const deposit = context.memory.readU128(amountPtr);
  const methodName = context.methodName(methodPtr, methodLen);
  return { type: 'FunctionCall', methodName, args: context.bytes(argsPtr, argsLen), gas, deposit };
}

function appendFunctionCall(context: WasmCallContext, promiseIndex: bigint, action: Action): void {
  context.host.promiseBatchAction(context.promiseIndex(promiseIndex), action, 'promise_batch_action_function_call');
}

function addFunctionCallKeyAction(
  context: WasmCallContext,
  keyLen: bigint,
  keyPtr: bigint,
  allowancePtr: bigint,
  receiverLen: bigint,
  receiverPtr: bigint,
  namesLen: bigint,
  namesPtr: bigint,
): Action {
  const publicKey = context.publicKey(keyPtr, keyLen);
  const allowance = context.memory.readU128(allowancePtr);
  const receiverId = context.accountId(receiverPtr, receiverLen);
  const names = context.bytes(namesPtr, namesLen);
  let methodNames: string[];
  try {
    methodNames = names.length === 0 ? [] : decodeUtf8(names).split(',');
  } catch {
    throw new HostFailure('InvalidMethodName');
  }
  if (methodNames.some((name) => name.length === 0)) throw new HostFailure('EmptyMethodName');
  // A zero allowance means an unlimited one, as in nearcore.
  return { type: 'AddKey', publicKey, accessKey: { nonce: 0n, permission: { kind: 'FunctionCall', allowance: allowance === 0n ? null : allowance, receiverId, methodNames } } };
}

function hashInto(context: WasmCallContext, base: bigint, perByte: bigint, hash: (bytes: Uint8Array) => Uint8Array, len: bigint, ptr: bigint, registerId: bigint): void {
  context.charge();
  const value = context.bytes(ptr, len);
  context.host.burnGas(base + perByte * BigInt(value.length));
  context.setRegister(registerId, hash(value));
}

/** A BLS12-381 point decompression host function: its group's compressed size, its costs and its decoder. */
interface Bls12381Decompression {
  readonly elementBytes: number;
  readonly base: bigint;
  readonly perElement: bigint;
  readonly decompress: (value: Uint8Array) => Uint8Array | null;
}
const BLS12381_P1_DECOMPRESS: Bls12381Decompression = { elementBytes: P1_COMPRESSED_BYTES, base: GAS_COSTS.bls12381P1Decompress, perElement: GAS_COSTS.bls12381P1DecompressPerElement, decompress: bls12381P1Decompress };
const BLS12381_P2_DECOMPRESS: Bls12381Decompression = { elementBytes: P2_COMPRESSED_BYTES, base: GAS_COSTS.bls12381P2Decompress, perElement: GAS_COSTS.bls12381P2DecompressPerElement, decompress: bls12381P2Decompress };

/** NEAR's convention for these two: 0 and the points in the register, or 1 for an input that is not points of the group. */
function decompressInto(context: WasmCallContext, decompression: Bls12381Decompression, valueLen: bigint, valuePtr: bigint, registerId: bigint): bigint {
  context.charge();
  const value = context.bytes(valuePtr, valueLen);
  context.host.burnGas(decompression.base + decompression.perElement * BigInt(Math.floor(value.length / decompression.elementBytes)));
  const points = decompression.decompress(value);
  if (points === null) return 1n;
  context.setRegister(registerId, points);
  return 0n;
}

/** Result codes of `promise_result`. */
const PROMISE_RESULT = { successful: 1n, failed: 2n } as const;

/**
 * The implemented host functions, named and ordered as in nearcore's `VMLogic`; parameters are
 * nearcore's. Functions that a view may not call check that first, as nearcore does.
 */
const HOST_FUNCTIONS = {
  // ---- registers ----
  read_register(c: WasmCallContext, registerId: bigint, ptr: bigint): void {
    const value = c.registers.get(registerId);
    c.charge(value.length);
    c.memory.write(ptr, value);
  },
  register_len(c: WasmCallContext, registerId: bigint): bigint {
    c.charge();
    const length = c.registers.length(registerId);
    return length === null ? U64_MAX : BigInt(length);
  },
  write_register(c: WasmCallContext, registerId: bigint, dataLen: bigint, dataPtr: bigint): void {
    c.charge();
    c.setRegister(registerId, c.memory.read(dataPtr, dataLen));
  },

  // ---- context ----
  current_account_id(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, utf8.encode(c.host.currentAccountId()));
  },
  signer_account_id(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, utf8.encode(c.host.signerAccountId()));
  },
  signer_account_pk(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, publicKeyBorsh(c.host.signerAccountPk()));
  },
  predecessor_account_id(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, utf8.encode(c.host.predecessorAccountId()));
  },
  /** Refunds always go to the predecessor here (`promise_set_refund_to` is not supported). */
  refund_to_account_id(c: WasmCallContext, registerId: bigint): void {
    c.host.requireCall('refund_to_account_id');
    c.setRegister(registerId, utf8.encode(c.host.predecessorAccountId()));
  },
  input(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, c.host.input());
  },
  block_index(c: WasmCallContext): bigint {
    return c.host.blockHeight();
  },
  block_timestamp(c: WasmCallContext): bigint {
    return c.host.blockTimestampNs();
  },
  epoch_height(c: WasmCallContext): bigint {
    c.charge();
    return EPOCH_HEIGHT;
  },
  storage_usage(c: WasmCallContext): bigint {
    return c.host.storageUsage();
  },
  current_contract_code(c: WasmCallContext, registerId: bigint): bigint {
    const code = c.host.contractCode();
    if (code === null) return 0n;
    c.setRegister(registerId, code.kind === 'wasm' ? fromBase58(code.codeHash) : sha256Bytes(code.name));
    return 1n;
  },

  // ---- economics ----
  account_balance(c: WasmCallContext, balancePtr: bigint): void {
    c.memory.writeU128(balancePtr, c.host.accountBalance());
  },
  account_locked_balance(c: WasmCallContext, balancePtr: bigint): void {
    c.memory.writeU128(balancePtr, c.host.accountLockedBalance());
  },
  attached_deposit(c: WasmCallContext, balancePtr: bigint): void {
    c.memory.writeU128(balancePtr, c.host.attachedDeposit());
  },
  prepaid_gas(c: WasmCallContext): bigint {
    return c.host.prepaidGas();
  },
  used_gas(c: WasmCallContext): bigint {
    return c.host.usedGas();
  },
  /** The devnet has no validators: every stake is zero. */
  validator_stake(c: WasmCallContext, accountIdLen: bigint, accountIdPtr: bigint, stakePtr: bigint): void {
    c.charge();
    c.accountId(accountIdPtr, accountIdLen);
    c.memory.writeU128(stakePtr, 0n);
  },
  validator_total_stake(c: WasmCallContext, stakePtr: bigint): void {
    c.charge();
    c.memory.writeU128(stakePtr, 0n);
  },

  // ---- math ----
  random_seed(c: WasmCallContext, registerId: bigint): void {
    c.setRegister(registerId, c.host.randomSeed());
  },
  sha256(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): void {
    hashInto(c, GAS_COSTS.sha256, GAS_COSTS.sha256PerByte, sha256, valueLen, valuePtr, registerId);
  },
  keccak256(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): void {
    hashInto(c, GAS_COSTS.keccak256, GAS_COSTS.keccak256PerByte, keccak_256, valueLen, valuePtr, registerId);
  },
  keccak512(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): void {
    hashInto(c, GAS_COSTS.keccak512, GAS_COSTS.keccak512PerByte, keccak_512, valueLen, valuePtr, registerId);
  },
  ripemd160(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): void {
    hashInto(c, GAS_COSTS.ripemd160, GAS_COSTS.ripemd160PerByte, ripemd160, valueLen, valuePtr, registerId);
  },
  ecrecover(c: WasmCallContext, hashLen: bigint, hashPtr: bigint, sigLen: bigint, sigPtr: bigint, v: bigint, malleabilityFlag: bigint, registerId: bigint): bigint {
    c.charge();
    c.host.burnGas(GAS_COSTS.ecrecover);
    const signature = c.bytes(sigPtr, sigLen);
    const hash = c.bytes(hashPtr, hashLen);
    const key = ecrecover(hash, signature, v, malleabilityFlag);
    if (key === null) return 0n;
    c.setRegister(registerId, key);
    return 1n;
  },
  ed25519_verify(c: WasmCallContext, signatureLen: bigint, signaturePtr: bigint, messageLen: bigint, messagePtr: bigint, publicKeyLen: bigint, publicKeyPtr: bigint): bigint {
    c.charge();
    const signature = c.bytes(signaturePtr, signatureLen);
    const message = c.bytes(messagePtr, messageLen);
    c.host.burnGas(GAS_COSTS.ed25519Verify + GAS_COSTS.ed25519VerifyPerByte * BigInt(message.length));
    return boolU64(ed25519Verify(signature, message, c.bytes(publicKeyPtr, publicKeyLen)));
  },
  bls12381_p1_decompress(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): bigint {
    return decompressInto(c, BLS12381_P1_DECOMPRESS, valueLen, valuePtr, registerId);
  },
  bls12381_p2_decompress(c: WasmCallContext, valueLen: bigint, valuePtr: bigint, registerId: bigint): bigint {
    return decompressInto(c, BLS12381_P2_DECOMPRESS, valueLen, valuePtr, registerId);
  },
  bls12381_pairing_check(c: WasmCallContext, valueLen: bigint, valuePtr: bigint): bigint {
    c.charge();
    const value = c.bytes(valuePtr, valueLen);
    c.host.burnGas(GAS_COSTS.bls12381Pairing + GAS_COSTS.bls12381PairingPerElement * BigInt(Math.floor(value.length / 288)));
    return bls12381PairingCheck(value);
  },

  // ---- promises ----
  promise_create(c: WasmCallContext, accountIdLen: bigint, accountIdPtr: bigint, methodLen: bigint, methodPtr: bigint, argsLen: bigint, argsPtr: bigint, amountPtr: bigint, gas: bigint): bigint {
    c.host.requireCall('promise_batch_create');
    const promise = c.host.promiseBatchCreate(c.accountId(accountIdPtr, accountIdLen));
    appendFunctionCall(c, BigInt(promise), functionCallAction(c, methodLen, methodPtr, argsLen, argsPtr, amountPtr, gas));
    return BigInt(promise);
  },
  promise_then(
    c: WasmCallContext,
    promiseIndex: bigint,
    accountIdLen: bigint,
    accountIdPtr: bigint,
    methodLen: bigint,
    methodPtr: bigint,
    argsLen: bigint,
    argsPtr: bigint,
    amountPtr: bigint,
    gas: bigint,
  ): bigint {
    c.host.requireCall('promise_batch_then');
    const promise = c.host.promiseBatchThen(c.promiseIndex(promiseIndex), c.accountId(accountIdPtr, accountIdLen));
    appendFunctionCall(c, BigInt(promise), functionCallAction(c, methodLen, methodPtr, argsLen, argsPtr, amountPtr, gas));
    return BigInt(promise);
  },
  promise_and(c: WasmCallContext, promiseIndicesPtr: bigint, promiseIndicesCount: bigint): bigint {
    c.host.requireCall('promise_and');
    const raw = c.bytes(promiseIndicesPtr, promiseIndicesCount * 8n);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const indices = Array.from({ length: raw.length / 8 }, (_, slot) => c.promiseIndex(view.getBigUint64(slot * 8, true)));
    return BigInt(c.host.promiseAnd(indices));
  },
  promise_batch_create(c: WasmCallContext, accountIdLen: bigint, accountIdPtr: bigint): bigint {
    c.host.requireCall('promise_batch_create');
    return BigInt(c.host.promiseBatchCreate(c.accountId(accountIdPtr, accountIdLen)));
  },
  promise_batch_then(c: WasmCallContext, promiseIndex: bigint, accountIdLen: bigint, accountIdPtr: bigint): bigint {
    c.host.requireCall('promise_batch_then');
    return BigInt(c.host.promiseBatchThen(c.promiseIndex(promiseIndex), c.accountId(accountIdPtr, accountIdLen)));
  },
  promise_batch_action_create_account(c: WasmCallContext, promiseIndex: bigint): void {
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'CreateAccount' }, 'promise_batch_action_create_account');
  },
  promise_batch_action_deploy_contract(c: WasmCallContext, promiseIndex: bigint, codeLen: bigint, codePtr: bigint): void {
    c.host.requireCall('promise_batch_action_deploy_contract');
    const code = c.bytes(codePtr, codeLen);
    if (code.length > MAX_CONTRACT_BYTES) throw new HostFailure({ ContractSizeExceeded: { size: code.length, limit: MAX_CONTRACT_BYTES } });
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'DeployContract', code }, 'promise_batch_action_deploy_contract');
  },
  promise_batch_action_function_call(c: WasmCallContext, promiseIndex: bigint, methodLen: bigint, methodPtr: bigint, argsLen: bigint, argsPtr: bigint, amountPtr: bigint, gas: bigint): void {
    appendFunctionCall(c, promiseIndex, functionCallAction(c, methodLen, methodPtr, argsLen, argsPtr, amountPtr, gas));
  },
  /** The weight is accepted and ignored: the call gets exactly `gas` (see the chain README). */
  promise_batch_action_function_call_weight(
    c: WasmCallContext,
    promiseIndex: bigint,
    methodLen: bigint,
    methodPtr: bigint,
    argsLen: bigint,
    argsPtr: bigint,
    amountPtr: bigint,
    gas: bigint,
  ): void {
    appendFunctionCall(c, promiseIndex, functionCallAction(c, methodLen, methodPtr, argsLen, argsPtr, amountPtr, gas));
  },
  promise_batch_action_transfer(c: WasmCallContext, promiseIndex: bigint, amountPtr: bigint): void {
    c.host.requireCall('promise_batch_action_transfer');
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'Transfer', deposit: c.memory.readU128(amountPtr) }, 'promise_batch_action_transfer');
  },
  promise_batch_action_add_key_with_full_access(c: WasmCallContext, promiseIndex: bigint, publicKeyLen: bigint, publicKeyPtr: bigint, nonce: bigint): void {
    c.host.requireCall('promise_batch_action_add_key_with_full_access');
    const publicKey = c.publicKey(publicKeyPtr, publicKeyLen);
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'AddKey', publicKey, accessKey: { nonce, permission: { kind: 'FullAccess' } } }, 'promise_batch_action_add_key_with_full_access');
  },
  promise_batch_action_add_key_with_function_call(
    c: WasmCallContext,
    promiseIndex: bigint,
    publicKeyLen: bigint,
    publicKeyPtr: bigint,
    _nonce: bigint,
    allowancePtr: bigint,
    receiverIdLen: bigint,
    receiverIdPtr: bigint,
    methodNamesLen: bigint,
    methodNamesPtr: bigint,
  ): void {
    c.host.requireCall('promise_batch_action_add_key_with_function_call');
    const action = addFunctionCallKeyAction(c, publicKeyLen, publicKeyPtr, allowancePtr, receiverIdLen, receiverIdPtr, methodNamesLen, methodNamesPtr);
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), action, 'promise_batch_action_add_key_with_function_call');
  },
  promise_batch_action_delete_key(c: WasmCallContext, promiseIndex: bigint, publicKeyLen: bigint, publicKeyPtr: bigint): void {
    c.host.requireCall('promise_batch_action_delete_key');
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'DeleteKey', publicKey: c.publicKey(publicKeyPtr, publicKeyLen) }, 'promise_batch_action_delete_key');
  },
  promise_batch_action_delete_account(c: WasmCallContext, promiseIndex: bigint, beneficiaryIdLen: bigint, beneficiaryIdPtr: bigint): void {
    c.host.requireCall('promise_batch_action_delete_account');
    const beneficiaryId = c.accountId(beneficiaryIdPtr, beneficiaryIdLen);
    c.host.promiseBatchAction(c.promiseIndex(promiseIndex), { type: 'DeleteAccount', beneficiaryId }, 'promise_batch_action_delete_account');
  },
  promise_results_count(c: WasmCallContext): bigint {
    return BigInt(c.host.promiseResultsCount());
  },
  promise_result(c: WasmCallContext, resultIndex: bigint, registerId: bigint): bigint {
    const result = c.host.promiseResult(c.promiseIndex(resultIndex));
    if (result.status === 'failed') return PROMISE_RESULT.failed;
    c.setRegister(registerId, result.value);
    return PROMISE_RESULT.successful;
  },
  promise_return(c: WasmCallContext, promiseIndex: bigint): void {
    c.host.promiseReturn(c.promiseIndex(promiseIndex));
  },
  promise_yield_create(c: WasmCallContext, methodLen: bigint, methodPtr: bigint, argsLen: bigint, argsPtr: bigint, gas: bigint, gasWeight: bigint, registerId: bigint): bigint {
    c.host.requireCall('promise_yield_create');
    const methodName = c.methodName(methodPtr, methodLen);
    const yielded = c.host.promiseYieldCreate(methodName, c.bytes(argsPtr, argsLen), gas, gasWeight);
    c.setRegister(registerId, yielded.dataId);
    return BigInt(yielded.promise);
  },
  promise_yield_resume(c: WasmCallContext, dataIdLen: bigint, dataIdPtr: bigint, payloadLen: bigint, payloadPtr: bigint): number {
    // nearcore names it by its old name in this one error.
    c.host.requireCall('promise_submit_data');
    return c.host.promiseYieldResume(c.bytes(dataIdPtr, dataIdLen), c.bytes(payloadPtr, payloadLen)) ? 1 : 0;
  },

  // ---- miscellaneous ----
  value_return(c: WasmCallContext, valueLen: bigint, valuePtr: bigint): void {
    c.host.valueReturn(c.bytes(valuePtr, valueLen));
  },
  panic(c: WasmCallContext): never {
    c.charge();
    throw new ContractPanic('explicit guest panic');
  },
  panic_utf8(c: WasmCallContext, len: bigint, ptr: bigint): never {
    c.charge();
    throw new ContractPanic(c.utf8(len, ptr));
  },
  log_utf8(c: WasmCallContext, len: bigint, ptr: bigint): void {
    c.host.log(c.utf8(len, ptr));
  },
  log_utf16(c: WasmCallContext, len: bigint, ptr: bigint): void {
    c.host.log(c.utf16(len, ptr));
  },
  /** AssemblyScript's abort: strings are UTF-16 with their byte length in the u32 before them. */
  abort(c: WasmCallContext, messagePtr: number, filenamePtr: number, line: number, column: number): never {
    c.charge();
    if (messagePtr < 4 || filenamePtr < 4) throw new HostFailure('BadUTF16');
    const lengthBefore = (ptr: number): bigint => BigInt(new DataView(c.memory.read(BigInt(ptr - 4), 4n).buffer).getUint32(0, true));
    const message = c.utf16(lengthBefore(messagePtr), BigInt(messagePtr));
    const filename = c.utf16(lengthBefore(filenamePtr), BigInt(filenamePtr));
    const text = `${message}, filename: "${filename}" line: ${line} col: ${column}`;
    c.host.log(`ABORT: ${text}`);
    throw new ContractPanic(text);
  },
  /** The gas counter of modules instrumented the old way (nearcore `gas_seen_from_wasm`). */
  gas(c: WasmCallContext, opcodes: number): void {
    c.host.burnGas(GAS_COSTS.wasmRegularOp * BigInt(opcodes));
  },

  // ---- storage ----
  storage_write(c: WasmCallContext, keyLen: bigint, keyPtr: bigint, valueLen: bigint, valuePtr: bigint, registerId: bigint): bigint {
    c.host.requireCall('storage_write');
    const previous = c.host.storageReplace(c.bytes(keyPtr, keyLen), c.bytes(valuePtr, valueLen));
    if (previous === null) return 0n;
    c.setRegister(registerId, previous);
    return 1n;
  },
  storage_read(c: WasmCallContext, keyLen: bigint, keyPtr: bigint, registerId: bigint): bigint {
    const value = c.host.storageRead(c.bytes(keyPtr, keyLen));
    if (value === null) return 0n;
    c.setRegister(registerId, value);
    return 1n;
  },
  storage_remove(c: WasmCallContext, keyLen: bigint, keyPtr: bigint, registerId: bigint): bigint {
    c.host.requireCall('storage_remove');
    const previous = c.host.storageTake(c.bytes(keyPtr, keyLen));
    if (previous === null) return 0n;
    c.setRegister(registerId, previous);
    return 1n;
  },
  storage_has_key(c: WasmCallContext, keyLen: bigint, keyPtr: bigint): bigint {
    return boolU64(c.host.storageHasKey(c.bytes(keyPtr, keyLen)));
  },
  storage_iter_prefix(): never {
    throw new HostFailure({ Deprecated: { method_name: 'storage_iter_prefix' } });
  },
  storage_iter_range(): never {
    throw new HostFailure({ Deprecated: { method_name: 'storage_iter_range' } });
  },
  storage_iter_next(): never {
    throw new HostFailure({ Deprecated: { method_name: 'storage_iter_next' } });
  },
} satisfies Record<string, (context: WasmCallContext, ...args: never[]) => unknown>;

const NO_GLOBAL_CONTRACTS = 'the devnet has no global contracts';
const NO_GAS_KEYS = 'the devnet has no gas keys';
const NO_STATE_INIT = 'the devnet has no deterministic account state init';
const NO_ALT_BN128 = 'the devnet has no alt_bn128 arithmetic';
const BLS_SUBSET = 'the devnet implements bls12381_p1_decompress, bls12381_p2_decompress and bls12381_pairing_check only';

/** nearcore host functions the devnet does not implement, with why; they fail the call that reaches them. */
export const UNSUPPORTED_HOST_FUNCTIONS: Readonly<Record<string, string>> = {
  promise_batch_action_stake: 'the devnet has no staking',
  promise_batch_action_deploy_global_contract: NO_GLOBAL_CONTRACTS,
  promise_batch_action_deploy_global_contract_by_account_id: NO_GLOBAL_CONTRACTS,
  promise_batch_action_use_global_contract: NO_GLOBAL_CONTRACTS,
  promise_batch_action_use_global_contract_by_account_id: NO_GLOBAL_CONTRACTS,
  promise_batch_action_transfer_to_gas_key: NO_GAS_KEYS,
  promise_batch_action_add_gas_key_with_full_access: NO_GAS_KEYS,
  promise_batch_action_add_gas_key_with_function_call: NO_GAS_KEYS,
  promise_batch_action_state_init: NO_STATE_INIT,
  promise_batch_action_state_init_by_account_id: NO_STATE_INIT,
  set_state_init_data_entry: NO_STATE_INIT,
  promise_set_refund_to: 'refunds always go to the predecessor on the devnet',
  alt_bn128_g1_multiexp: NO_ALT_BN128,
  alt_bn128_g1_sum: NO_ALT_BN128,
  alt_bn128_pairing_check: NO_ALT_BN128,
  bls12381_p1_sum: BLS_SUBSET,
  bls12381_p2_sum: BLS_SUBSET,
  bls12381_g1_multiexp: BLS_SUBSET,
  bls12381_g2_multiexp: BLS_SUBSET,
  bls12381_map_fp_to_g1: BLS_SUBSET,
  bls12381_map_fp2_to_g2: BLS_SUBSET,
  p256_verify: 'the devnet has no P-256 verification',
  sandbox_debug_log: 'the devnet is not a sandbox node',
};

/** The names of the implemented host functions (the chain README's table is checked against it). */
export const IMPLEMENTED_HOST_FUNCTIONS: readonly string[] = Object.keys(HOST_FUNCTIONS);

/** The module name NEAR's host functions are imported from. */
export const HOST_MODULE = 'env';

/**
 * The `env` functions a module imports, bound to one call's context; unknown names become functions
 * that fail with `unsupported host function <name>`. Imports from other modules are left out, so
 * instantiation reports them as a link error.
 */
export function hostImports(imports: readonly WebAssembly.ModuleImportDescriptor[], context: WasmCallContext): Record<string, (...args: never[]) => unknown> {
  const bound: Record<string, (...args: never[]) => unknown> = {};
  for (const { module, name, kind } of imports) {
    if (module !== HOST_MODULE || kind !== 'function') continue;
    const implementation = Object.hasOwn(HOST_FUNCTIONS, name) ? (HOST_FUNCTIONS as Record<string, (c: WasmCallContext, ...args: unknown[]) => unknown>)[name]! : null;
    bound[name] =
      implementation === null
        ? () => {
            throw new UnsupportedHostFunctionError(name, UNSUPPORTED_HOST_FUNCTIONS[name]);
          }
        : (...args: unknown[]) => implementation(context, ...args.map((arg) => (typeof arg === 'bigint' ? BigInt.asUintN(64, arg) : arg)));
  }
  return bound;
}
