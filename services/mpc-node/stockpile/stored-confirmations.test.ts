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

  it('abandons only the waits that need a follower that stopped answering', async () => {
    const confirmations = new StoredConfirmations();
    const needsLost = confirmations.expect('run', [1, 2]);
    const confirmedByLost = confirmations.expect('confirmed run', [1, 2]);
    const others = confirmations.expect('other run', [1, 3]);
    confirmations.confirm(2, 'confirmed run');
    confirmations.abandonFrom(2);
    confirmations.confirm(2, 'run');
    confirmations.confirm(1, 'run');
    confirmations.confirm(1, 'confirmed run');
    confirmations.confirm(1, 'other run');
    confirmations.confirm(3, 'other run');
    await expect(needsLost.confirmed(60_000)).resolves.toBe(false);
    await expect(confirmedByLost.confirmed(1_000)).resolves.toBe(true);
    await expect(others.confirmed(1_000)).resolves.toBe(true);
  });
});
