import { KeyPair } from '@near-js/crypto';
import { actionCreators, type Action as NearJsAction } from '@near-js/transactions';
import fc from 'fast-check';
import { callerContract, storeContract, testContracts, yieldContract } from '../test-contracts/index.js';
import { DevnetChain, defaultChainConfig } from './chain.js';
import { InvalidTransactionError } from './errors.js';
import { TERA_GAS } from './gas.js';
import { LocalSigner } from './local-signer.js';

const NEAR = 10n ** 24n;
const { functionCall, transfer } = actionCreators;
const ACCOUNTS = ['alice.devnet', 'bob.devnet', 'store.devnet', 'caller.devnet', 'yield.devnet'] as const;

/** What a random user may do: every kind of receipt flow the runtime has. */
const operation = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), amount: fc.bigInt({ min: 0n, max: 5n * NEAR }) }),
  fc.record({ kind: fc.constant('deposit' as const), amount: fc.bigInt({ min: 0n, max: NEAR }) }),
  fc.record({ kind: fc.constant('panic' as const), amount: fc.bigInt({ min: 0n, max: NEAR }) }),
  fc.record({ kind: fc.constant('cross' as const), failing: fc.boolean(), amount: fc.bigInt({ min: 0n, max: 1000n }) }),
  fc.record({ kind: fc.constant('pay' as const), amount: fc.bigInt({ min: 0n, max: 20n * NEAR }) }),
  fc.record({ kind: fc.constant('runaway' as const), tgas: fc.integer({ min: 5, max: 300 }) }),
  fc.record({ kind: fc.constant('yield' as const), label: fc.constantFrom('a', 'b'), respond: fc.boolean() }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

function actionsFor(op: Operation): { receiverId: string; actions: NearJsAction[] } {
  switch (op.kind) {
    case 'transfer':
      return { receiverId: 'bob.devnet', actions: [transfer(op.amount)] };
    case 'deposit':
      return { receiverId: 'store.devnet', actions: [functionCall('deposit', {}, 30n * TERA_GAS, op.amount)] };
    case 'panic':
      return { receiverId: 'store.devnet', actions: [functionCall('set_then_panic', { key: 'k', value: 'v' }, 30n * TERA_GAS, op.amount)] };
    case 'cross':
      return {
        receiverId: 'caller.devnet',
        actions: [functionCall('call', { target: 'store.devnet', method: op.failing ? 'set_then_panic' : 'deposit', args: { key: 'x', value: 'y' }, deposit: op.amount.toString() }, 100n * TERA_GAS, 0n)],
      };
    case 'pay':
      return { receiverId: 'caller.devnet', actions: [functionCall('pay', { receiver: 'alice.devnet', amount: op.amount.toString() }, 30n * TERA_GAS, 0n)] };
    case 'runaway':
      return { receiverId: 'store.devnet', actions: [functionCall('runaway', {}, BigInt(op.tgas) * TERA_GAS, 0n)] };
    case 'yield':
      return { receiverId: 'yield.devnet', actions: [functionCall(op.respond ? 'respond' : 'request', { label: op.label, answer: 1 }, 50n * TERA_GAS, 0n)] };
  }
}

describe('runtime accounting under random traffic', () => {
  it('conserves tokens (balances + burnt = genesis supply), settles every transaction and never breaks a block', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.boolean(), operation), { minLength: 1, maxLength: 12 }), async (steps) => {
        const keys = { alice: KeyPair.fromRandom('ed25519'), bob: KeyPair.fromRandom('ed25519') };
        const chain = DevnetChain.open({
          config: defaultChainConfig({ yieldTimeoutBlocks: 3 }),
          library: testContracts,
          genesis: {
            accounts: [
              { accountId: 'alice.devnet', balance: 10n * NEAR, publicKeys: [keys.alice.getPublicKey().toString()] },
              { accountId: 'bob.devnet', balance: 10n * NEAR, publicKeys: [keys.bob.getPublicKey().toString()] },
              { accountId: 'store.devnet', balance: NEAR, contract: storeContract.name },
              { accountId: 'caller.devnet', balance: 10n * NEAR, contract: callerContract.name },
              { accountId: 'yield.devnet', balance: NEAR, contract: yieldContract.name },
            ],
          },
        });
        const signers = [new LocalSigner(chain, 'alice.devnet', keys.alice), new LocalSigner(chain, 'bob.devnet', keys.bob)];
        const sent: string[] = [];
        for (const [byBob, op] of steps) {
          const { receiverId, actions } = actionsFor(op);
          try {
            sent.push((await signers[byBob ? 1 : 0]!.send(receiverId, actions)).hash);
          } catch (error) {
            if (!(error instanceof InvalidTransactionError)) throw error;
          }
          if (op.kind !== 'transfer') chain.produceBlock();
        }
        for (let index = 0; index < 12; index += 1) chain.produceBlock();
        for (const hash of sent) {
          const result = chain.transactionResult(hash);
          expect(result.phase === 'rejected' || (result.phase === 'included' && result.complete)).toBe(true);
        }
        const balances = ACCOUNTS.reduce((sum, accountId) => sum + chain.account(accountId).account.amount, 0n);
        expect(balances).toBe(chain.head().header.totalSupply);
        const burnt = [...Array(chain.head().header.height + 1).keys()].reduce((sum, height) => sum + chain.blockAt(height)!.header.balanceBurnt, 0n);
        expect(balances + burnt).toBe(32n * NEAR);
      }),
      { numRuns: 25 },
    );
  });
});
