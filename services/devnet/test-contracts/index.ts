/**
 * Small contracts that exercise the devnet chain's host: storage with rollback, deposits and
 * refunds, runaway gas, cross-contract calls with callbacks, transfers, and yield/resume with
 * timeouts. Tests deploy them; the product's contracts live in contract/.
 */
import type { ContractDefinition, ContractHost, ContractMethod } from '../../../contract/host.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Json = Record<string, unknown>;

const args = (host: ContractHost): Json => {
  const input = host.input();
  return input.length === 0 ? {} : (JSON.parse(decoder.decode(input)) as Json);
};
const returnJson = (host: ContractHost, value: unknown): void => host.valueReturn(encoder.encode(JSON.stringify(value)));
const key = (text: string): Uint8Array => encoder.encode(text);
const text = (value: unknown, name: string, host: ContractHost): string => (typeof value === 'string' ? value : host.panic(`argument ${name} must be a string`));

function contract(name: string, methods: Record<string, ContractMethod>, viewMethods: readonly string[]): ContractDefinition {
  return { name, methods, viewMethods: new Set(viewMethods) };
}

/** Key-value store: writes, views, deposits, panics after writing, and a runaway loop. */
export const storeContract = contract(
  'test-store',
  {
    set: (host) => {
      const { key: name, value } = args(host);
      host.storageWrite(key(text(name, 'key', host)), encoder.encode(text(value, 'value', host)));
      host.log(`set ${String(name)}`);
    },
    get: (host) => {
      const stored = host.storageRead(key(text(args(host).key, 'key', host)));
      returnJson(host, stored === null ? null : decoder.decode(stored));
    },
    /** Writes, then panics: the write must be rolled back and the deposit refunded. */
    set_then_panic: (host) => {
      const { key: name, value } = args(host);
      host.storageWrite(key(text(name, 'key', host)), encoder.encode(text(value, 'value', host)));
      host.log('about to panic');
      host.panic('refusing after write');
    },
    /** Records who paid what; the deposit stays with the contract. */
    deposit: (host) => {
      const amount = host.attachedDeposit();
      host.storageWrite(key(`deposit:${host.predecessorAccountId()}`), encoder.encode(amount.toString()));
      returnJson(host, { received: amount.toString(), balance: host.accountBalance().toString() });
    },
    /** Loops over storage writes until the gas runs out. */
    runaway: (host) => {
      for (let index = 0; ; index += 1) host.storageWrite(key(`junk:${index}`), key('x'.repeat(64)));
    },
    whoami: (host) => returnJson(host, { current: host.currentAccountId(), predecessor: host.predecessorAccountId(), signer: host.signerAccountId(), height: host.blockHeight().toString() }),
    /** A view that tries to write: prohibited. */
    sneaky_view: (host) => {
      host.storageWrite(key('sneaky'), key('1'));
    },
  },
  ['get', 'sneaky_view'],
);

/** Calls another contract and reports the result in a callback; also pays out. */
export const callerContract = contract(
  'test-caller',
  {
    /** `{target, method, args, deposit?}`: calls `target.method(args)` then `on_result` here, returning what the callback returns. */
    call: (host) => {
      const { target, method, args: callArgs, deposit } = args(host);
      const call = host.promiseCreate(text(target, 'target', host), text(method, 'method', host), encoder.encode(JSON.stringify(callArgs ?? {})), BigInt(String(deposit ?? '0')), 20_000_000_000_000n);
      const callback = host.promiseThen(call, host.currentAccountId(), 'on_result', encoder.encode(JSON.stringify({ target, method })), 0n, 10_000_000_000_000n);
      host.promiseReturn(callback);
    },
    on_result: (host) => {
      if (host.predecessorAccountId() !== host.currentAccountId()) host.panic('on_result is private');
      const result = host.promiseResult(0);
      const { target, method } = args(host);
      host.log(`${String(target)}.${String(method)} ${result.status}`);
      returnJson(host, result.status === 'successful' ? { ok: true, value: decoder.decode(result.value) } : { ok: false });
    },
    /** `{receiver, amount}`: sends `amount` yoctoNEAR from this contract. */
    pay: (host) => {
      const { receiver, amount } = args(host);
      host.promiseReturn(host.promiseTransfer(text(receiver, 'receiver', host), BigInt(text(amount, 'amount', host))));
    },
  },
  [],
);

/** Yields a callback until `respond` resumes it or it times out (NEP-519). */
export const yieldContract = contract(
  'test-yield',
  {
    /** `{label}`: parks `on_resume` and returns what it will return. */
    request: (host) => {
      const { label } = args(host);
      const yielded = host.promiseYieldCreate('on_resume', encoder.encode(JSON.stringify({ label })), 10_000_000_000_000n, 0n);
      const dataId = Buffer.from(yielded.dataId).toString('hex');
      host.storageWrite(key(`pending:${text(label, 'label', host)}`), encoder.encode(dataId));
      host.log(`yielded ${String(label)} ${dataId}`);
      host.promiseReturn(yielded.promise);
    },
    /** `{label, answer}`: resumes the request with that label. */
    respond: (host) => {
      const { label, answer } = args(host);
      const stored = host.storageRead(key(`pending:${text(label, 'label', host)}`));
      if (stored === null) return host.panic(`no pending request ${String(label)}`);
      const resumed = host.promiseYieldResume(Buffer.from(decoder.decode(stored), 'hex'), encoder.encode(JSON.stringify({ answer })));
      returnJson(host, { resumed });
    },
    on_resume: (host) => {
      if (host.predecessorAccountId() !== host.currentAccountId()) host.panic('on_resume is private');
      const { label } = args(host);
      host.storageRemove(key(`pending:${text(label, 'label', host)}`));
      const result = host.promiseResult(0);
      if (result.status === 'failed') return host.panic(`request ${String(label)} timed out`);
      returnJson(host, JSON.parse(decoder.decode(result.value)));
    },
    pending: (host) => returnJson(host, host.storageHasKey(key(`pending:${text(args(host).label, 'label', host)}`))),
  },
  ['pending'],
);

export const testContracts: readonly ContractDefinition[] = [storeContract, callerContract, yieldContract];
