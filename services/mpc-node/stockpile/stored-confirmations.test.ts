import { StoredConfirmations } from './stored-confirmations.js';

describe('StoredConfirmations', () => {
  it('is confirmed once every follower confirmed, whatever the order', async () => {
    const confirmations = new StoredConfirmations();
    const expected = confirmations.expect('run', [1, 2]);
    confirmations.confirm(2, 'run');
    confirmations.confirm(1, 'run');
    await expect(expected.confirmed(1_000)).resolves.toBe(true);
  });

  it('ignores strangers, repeats and other instances, and times out without every follower', async () => {
    const confirmations = new StoredConfirmations();
    const expected = confirmations.expect('run', [1, 2]);
    confirmations.confirm(1, 'run');
    confirmations.confirm(1, 'run');
    confirmations.confirm(7, 'run');
    confirmations.confirm(2, 'another run');
    await expect(expected.confirmed(50)).resolves.toBe(false);
  });

  it('forgets a cancelled run: a late confirmation changes nothing', async () => {
    const confirmations = new StoredConfirmations();
    const expected = confirmations.expect('run', [1]);
    expected.cancel();
    confirmations.confirm(1, 'run');
    await expect(expected.confirmed(50)).resolves.toBe(false);
  });

  it('abandons every wait at once, unconfirmed, even one whose confirmations were all but complete', async () => {
    const confirmations = new StoredConfirmations();
    const almost = confirmations.expect('run', [1, 2]);
    const other = confirmations.expect('other run', [2]);
    confirmations.confirm(1, 'run');
    confirmations.abandonAll();
    confirmations.confirm(2, 'run');
    await expect(almost.confirmed(60_000)).resolves.toBe(false);
    await expect(other.confirmed(60_000)).resolves.toBe(false);
  });
});
