/**
 * Reading a signed transaction off the wire: borsh decode (with @near-js/transactions' schema),
 * canonical re-encoding check, signature verification over SHA-256 of the borsh `Transaction`, and
 * the stateless checks nearcore makes before touching state.
 */
import { decodeSignedTransaction as decodeBorshSignedTransaction, encodeTransaction } from '@near-js/transactions';
import { isValidAccountId, sha256Bytes, toBase58 } from './encoding.js';
import { InvalidTransactionError, MalformedRequestError } from './errors.js';
import { MAX_PREPAID_GAS } from './gas.js';
import { formatPublicKey, formatSignature, verifyNearSignature, type KeyCurve, type NearSignature } from './keys.js';
import type { AccessKey, AccessKeyPermission, Action, ChainTransaction } from './types.js';

/** nearcore's runtime limits (parameters.yaml) for what a transaction may carry. */
export const ACTION_LIMITS = {
  maxActionsPerReceipt: 100,
  maxMethodNameLength: 256,
  maxArgumentsLength: 4n * 1024n * 1024n,
} as const;

// Shapes borsh-js hands back for the @near-js schema: enums are one-key objects, byte arrays number[].
type BorshBytes = readonly number[] | Uint8Array;
type BorshPublicKey = { ed25519Key?: { data: BorshBytes }; secp256k1Key?: { data: BorshBytes } };
type BorshPermission = { fullAccess?: object; functionCall?: { allowance: bigint | null; receiverId: string; methodNames: string[] } };
interface BorshAction {
  createAccount?: object;
  deployContract?: { code: BorshBytes };
  functionCall?: { methodName: string; args: BorshBytes; gas: bigint; deposit: bigint };
  transfer?: { deposit: bigint };
  stake?: object;
  addKey?: { publicKey: BorshPublicKey; accessKey: { nonce: bigint; permission: BorshPermission } };
  deleteKey?: { publicKey: BorshPublicKey };
  deleteAccount?: { beneficiaryId: string };
  signedDelegate?: object;
  deployGlobalContract?: object;
  useGlobalContract?: object;
}
interface BorshTransaction {
  signerId: string;
  publicKey: BorshPublicKey;
  nonce: bigint;
  receiverId: string;
  blockHash: BorshBytes;
  actions: BorshAction[];
}

const bytes = (value: BorshBytes): Uint8Array => (value instanceof Uint8Array ? value : Uint8Array.from(value));

function publicKeyFromBorsh(key: BorshPublicKey): string {
  if (key.ed25519Key) return formatPublicKey('ed25519', bytes(key.ed25519Key.data));
  if (key.secp256k1Key) return formatPublicKey('secp256k1', bytes(key.secp256k1Key.data));
  throw new MalformedRequestError('public key of unknown type');
}

function permissionFromBorsh(permission: BorshPermission): AccessKeyPermission {
  if (permission.functionCall) {
    const { allowance, receiverId, methodNames } = permission.functionCall;
    return { kind: 'FunctionCall', allowance: allowance ?? null, receiverId, methodNames: [...methodNames] };
  }
  return { kind: 'FullAccess' };
}

function unsupported(feature: string): InvalidTransactionError {
  return new InvalidTransactionError(
    { ActionsValidation: { UnsupportedProtocolFeature: { protocol_feature: feature, version: 0 } } },
    `${feature} actions are not supported by the devnet chain`,
  );
}

function actionFromBorsh(action: BorshAction): Action {
  if (action.createAccount) return { type: 'CreateAccount' };
  if (action.deployContract) return { type: 'DeployContract', code: bytes(action.deployContract.code) };
  if (action.functionCall) {
    const { methodName, args, gas, deposit } = action.functionCall;
    return { type: 'FunctionCall', methodName, args: bytes(args), gas, deposit };
  }
  if (action.transfer) return { type: 'Transfer', deposit: action.transfer.deposit };
  if (action.addKey) {
    const accessKey: AccessKey = { nonce: action.addKey.accessKey.nonce, permission: permissionFromBorsh(action.addKey.accessKey.permission) };
    return { type: 'AddKey', publicKey: publicKeyFromBorsh(action.addKey.publicKey), accessKey };
  }
  if (action.deleteKey) return { type: 'DeleteKey', publicKey: publicKeyFromBorsh(action.deleteKey.publicKey) };
  if (action.deleteAccount) return { type: 'DeleteAccount', beneficiaryId: action.deleteAccount.beneficiaryId };
  if (action.stake) throw unsupported('Stake');
  if (action.signedDelegate) throw unsupported('DelegateAction');
  throw unsupported('GlobalContracts');
}

/** nearcore `validate_actions`: the checks that need no state. */
export function validateActions(actions: readonly Action[], receiverId: string): void {
  const fail = (error: object, detail: string): never => {
    throw new InvalidTransactionError({ ActionsValidation: error as never }, detail);
  };
  if (actions.length > ACTION_LIMITS.maxActionsPerReceipt) {
    fail({ TotalNumberOfActionsExceeded: { total_number_of_actions: actions.length, limit: ACTION_LIMITS.maxActionsPerReceipt } }, 'too many actions');
  }
  let totalGas = 0n;
  actions.forEach((action, index) => {
    if (action.type === 'DeleteAccount' && index !== actions.length - 1) fail({ DeleteActionMustBeFinal: null }, 'DeleteAccount must be the last action');
    if (action.type === 'FunctionCall') {
      if (action.gas === 0n) fail({ FunctionCallZeroAttachedGas: null }, 'function call with zero gas');
      if (action.methodName.length > ACTION_LIMITS.maxMethodNameLength) {
        fail({ FunctionCallMethodNameLengthExceeded: { length: action.methodName.length, limit: ACTION_LIMITS.maxMethodNameLength } }, 'method name too long');
      }
      if (BigInt(action.args.length) > ACTION_LIMITS.maxArgumentsLength) {
        fail({ FunctionCallArgumentsLengthExceeded: { length: action.args.length, limit: Number(ACTION_LIMITS.maxArgumentsLength) } }, 'arguments too long');
      }
      totalGas += action.gas;
    }
    if (action.type === 'DeleteAccount' && !isValidAccountId(action.beneficiaryId)) fail({ InvalidAccountId: { account_id: action.beneficiaryId } }, 'bad beneficiary');
    if (action.type === 'AddKey' && action.accessKey.permission.kind === 'FunctionCall' && !isValidAccountId(action.accessKey.permission.receiverId)) {
      fail({ InvalidAccountId: { account_id: action.accessKey.permission.receiverId } }, 'bad access key receiver');
    }
  });
  if (totalGas > MAX_PREPAID_GAS) {
    fail({ TotalPrepaidGasExceeded: { total_prepaid_gas: Number(totalGas), limit: Number(MAX_PREPAID_GAS) } }, `prepaid gas ${totalGas} exceeds ${MAX_PREPAID_GAS}`);
  }
  if (!isValidAccountId(receiverId)) throw new InvalidTransactionError({ InvalidReceiverId: { receiver_id: receiverId } }, `bad receiver ${receiverId}`);
}

function signatureFromBorsh(signature: { ed25519Signature?: { data: BorshBytes }; secp256k1Signature?: { data: BorshBytes } }): NearSignature {
  const curve: KeyCurve | null = signature.ed25519Signature ? 'ed25519' : signature.secp256k1Signature ? 'secp256k1' : null;
  const data = signature.ed25519Signature?.data ?? signature.secp256k1Signature?.data;
  if (curve === null || data === undefined) throw new MalformedRequestError('signature of unknown type');
  return { curve, bytes: bytes(data) };
}

/**
 * Decodes borsh `SignedTransaction` bytes and verifies them. Throws {@link MalformedRequestError}
 * for undecodable bytes and {@link InvalidTransactionError} (NEAR's `InvalidTxError`) otherwise.
 */
export function readSignedTransaction(encoded: Uint8Array): ChainTransaction {
  let decoded: { transaction: BorshTransaction; signature: Parameters<typeof signatureFromBorsh>[0] };
  let transactionBytes: Uint8Array;
  try {
    decoded = decodeBorshSignedTransaction(encoded) as unknown as typeof decoded;
    transactionBytes = encodeTransaction(decoded.transaction as never);
    // borsh-js tolerates nothing after the value, but re-encoding also proves the bytes are canonical.
    const reencoded = encodeTransaction(decoded as never);
    if (Buffer.compare(Buffer.from(reencoded), Buffer.from(encoded)) !== 0) throw new Error('bytes are not the canonical encoding');
  } catch (error) {
    throw new MalformedRequestError(`Failed to decode transaction: ${(error as Error).message}`, { cause: error });
  }
  const tx = decoded.transaction;
  const hashBytes = sha256Bytes(transactionBytes);
  const publicKey = publicKeyFromBorsh(tx.publicKey);
  const signature = signatureFromBorsh(decoded.signature);
  if (!verifyNearSignature(publicKey, signature, hashBytes)) throw new InvalidTransactionError('InvalidSignature', 'signature does not verify');
  if (!isValidAccountId(tx.signerId)) throw new InvalidTransactionError({ InvalidSignerId: { signer_id: tx.signerId } }, `bad signer ${tx.signerId}`);
  const actions = tx.actions.map(actionFromBorsh);
  validateActions(actions, tx.receiverId);
  return {
    hash: toBase58(hashBytes),
    signerId: tx.signerId,
    publicKey,
    nonce: tx.nonce,
    receiverId: tx.receiverId,
    blockHash: toBase58(bytes(tx.blockHash)),
    actions,
    signature: formatSignature(signature),
  };
}
