import { ContractViewError, InvalidTransactionError, TransactionWaitTimeoutError, UnknownAccountError } from '../chain/errors.js';
import { RpcRequestError, rpcFailureFor, rustDebug } from './errors.js';

const at = { block_height: 7, block_hash: 'hash' };

describe('nearcore RPC error shapes', () => {
  it('prints FunctionCallError JSON in Rust Debug form', () => {
    expect(rustDebug({ MethodResolveError: 'MethodNotFound' })).toBe('MethodResolveError(MethodNotFound)');
    expect(rustDebug({ HostError: { GuestPanic: { panic_msg: 'no "way"' } } })).toBe('HostError(GuestPanic { panic_msg: "no \\"way\\"" })');
    expect(rustDebug({ HostError: 'GasExceeded' })).toBe('HostError(GasExceeded)');
    expect(rustDebug({ ExecutionError: 'Smart contract panicked: x' })).toBe('ExecutionError("Smart contract panicked: x")');
    expect(rustDebug({ HostError: { BalanceExceeded: null } })).toBe('HostError(BalanceExceeded)');
  });

  it('wraps an invalid transaction as TxExecutionError data with HTTP 200', () => {
    const failure = rpcFailureFor(new InvalidTransactionError({ InvalidNonce: { tx_nonce: 1, ak_nonce: 2 } }), at);
    expect(failure).toEqual({
      httpStatus: 200,
      error: {
        name: 'HANDLER_ERROR',
        cause: { name: 'INVALID_TRANSACTION', info: {} },
        code: -32000,
        message: 'Server error',
        data: { TxExecutionError: { InvalidTxError: { InvalidNonce: { tx_nonce: 1, ak_nonce: 2 } } } },
      },
    });
  });

  it('gives views, request errors and timeouts their causes and HTTP statuses', () => {
    expect(rpcFailureFor(new UnknownAccountError('x.devnet'), at).error).toMatchObject({
      cause: { name: 'UNKNOWN_ACCOUNT', info: { requested_account_id: 'x.devnet', ...at } },
      data: 'account x.devnet does not exist while viewing',
    });
    expect(rpcFailureFor(new ContractViewError({ MethodResolveError: 'MethodNotFound' }), at).error).toMatchObject({
      cause: { name: 'CONTRACT_EXECUTION_ERROR', info: { vm_error: 'FunctionCallError(MethodResolveError(MethodNotFound))', error: { MethodResolveError: 'MethodNotFound' } } },
      data: 'wasm execution failed with error: FunctionCallError(MethodResolveError(MethodNotFound))',
    });
    expect(rpcFailureFor(new RpcRequestError('bad'), at)).toMatchObject({ httpStatus: 400, error: { name: 'REQUEST_VALIDATION_ERROR', cause: { name: 'PARSE_ERROR' }, code: -32700 } });
    expect(rpcFailureFor(new TransactionWaitTimeoutError('h'), at)).toMatchObject({ httpStatus: 408, error: { cause: { name: 'TIMEOUT_ERROR' } } });
    expect(rpcFailureFor(new Error('boom'), at)).toMatchObject({ httpStatus: 500, error: { name: 'INTERNAL_ERROR' } });
  });
});
