import { ed25519 } from '@noble/curves/ed25519.js';
import { formatNearPublicKey } from '../../shared/near/keys.js';
import type { ParticipantEntry } from '../../shared/near/signer-abi.js';
import { meshPeersOf } from './mesh-peers.js';

const keyOf = (seed: number) => formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromBytes(ed25519.getPublicKey(new Uint8Array(32).fill(seed))) });
const entry = (account: string, id: number, url: string, tlsPublicKey = keyOf(id + 1)): ParticipantEntry => [account, id, { url, tls_public_key: tlsPublicKey }];

describe('meshPeersOf: participant entries the mesh can use', () => {
  it('keeps usable entries and leaves out, with a reason, those the contract accepted but the mesh cannot use', () => {
    // A point of order 2 (y = -1), and the identity (y = 1): both of small order.
    const smallOrder = formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f') });
    const identity = formatNearPublicKey({ curve: 'ed25519', point: ed25519.Point.ZERO });
    const { peers, unusable } = meshPeersOf([
      entry('a.near', 0, 'https://a.example:443'),
      entry('b.near', 1, 'http://a:99999'),
      entry('c.near', 2, 'ftp://c.example'),
      entry('d.near', 3, 'not a url'),
      entry('e.near', 4, 'https://e.example', smallOrder),
      entry('f.near', 5, 'https://f.example', identity),
      entry('g.near', 6, 'https://g.example', 'ed25519:1'),
      entry('h.near', 7, 'http://127.0.0.1:7001'),
    ]);
    expect(peers.map((peer) => [peer.id, peer.url])).toEqual([
      [0, 'https://a.example:443'],
      [7, 'http://127.0.0.1:7001'],
    ]);
    expect(peers[0]!.identityPublicKey).toEqual(ed25519.getPublicKey(new Uint8Array(32).fill(1)));
    expect(unusable).toEqual([
      { account: 'b.near', participant: 1, reason: 'url "http://a:99999" is not a URL' },
      { account: 'c.near', participant: 2, reason: 'url "ftp://c.example" is not http(s)' },
      { account: 'd.near', participant: 3, reason: 'url "not a url" is not a URL' },
      { account: 'e.near', participant: 4, reason: 'tls_public_key of e.near is a point of small order' },
      { account: 'f.near', participant: 5, reason: 'tls_public_key of f.near is a point of small order' },
      { account: 'g.near', participant: 6, reason: expect.stringContaining('ed25519:1') },
    ]);
  });
});
