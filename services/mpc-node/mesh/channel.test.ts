import fc from 'fast-check';
import { ByteWriter } from '../../../shared/codec/binary.js';
import {
  FRAME_OVERHEAD_BYTES,
  generateMeshIdentity,
  InboundChannels,
  MAX_PAYLOADS_PER_FRAME,
  MAX_SESSIONS_PER_PEER,
  MeshFrameRejected,
  OutboundChannel,
  PAYLOAD_OVERHEAD_BYTES,
  REPLAY_WINDOW,
  type MeshRejectReason,
  type PeerKeys,
} from './channel.js';
import { createSessionPrekey, MeshPrekeyRejected, verifySessionPrekey, type MeshPrekeyRejectReason } from './prekey.js';

const [node0, node1, node2] = [0, 1, 2].map((id) => generateMeshIdentity(id));
const registered = [node0!.keys, node1!.keys, node2!.keys];
const text = (s: string) => new TextEncoder().encode(s);

/** The prekey `inbox` serves, verified as a sender verifies it (by default, under node 1's registered key). */
const prekeyOf = (inbox: InboundChannels, keys: PeerKeys = node1!.keys) => verifySessionPrekey(inbox.signedPrekey, keys);

function prekeyRejection(verify: () => unknown): MeshPrekeyRejectReason {
  try {
    verify();
  } catch (error) {
    if (error instanceof MeshPrekeyRejected) return error.reason;
    throw error;
  }
  throw new Error('prekey was accepted');
}

function rejectionError(open: () => unknown): MeshFrameRejected {
  try {
    open();
  } catch (error) {
    if (error instanceof MeshFrameRejected) return error;
    throw error;
  }
  throw new Error('frame was accepted');
}

const rejection = (open: () => unknown): MeshRejectReason => rejectionError(open).reason;

describe('mesh channel', () => {
  it('delivers an authenticated payload from a registered peer', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('triple round 2'));
    expect(inbox.open(frame)).toEqual({ from: 0, payloads: [text('triple round 2')] });
  });

  it('accepts a peer set later; a re-registration with new keys ends the sessions under the old ones', () => {
    const inbox = new InboundChannels(node1!.identity, [node0!.keys]);
    const fromNode2 = new OutboundChannel(node2!.identity, prekeyOf(inbox));
    expect(rejection(() => inbox.open(fromNode2.seal(text('before'))))).toBe('unknown-sender');
    inbox.setPeer(node2!.keys);
    expect(inbox.open(fromNode2.seal(text('after')))).toEqual({ from: 2, payloads: [text('after')] });
    // Participant 2 registers new keys (a new identity under the same id): the old session is refused, the new one opens.
    const renewed = generateMeshIdentity(2);
    inbox.setPeer(renewed.keys);
    expect(rejection(() => inbox.open(fromNode2.seal(text('old keys'))))).toBe('bad-signature');
    expect(inbox.open(new OutboundChannel(renewed.identity, prekeyOf(inbox)).seal(text('new keys')))).toEqual({ from: 2, payloads: [text('new keys')] });
    // Setting the same registration again keeps the session, replay window included.
    const one = new OutboundChannel(renewed.identity, prekeyOf(inbox)).seal(text('one'));
    inbox.open(one);
    inbox.setPeer({ ...renewed.keys });
    expect(rejection(() => inbox.open(one))).toBe('replay');
  });

  it('carries several payloads in one frame, in order, empty ones included', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const payloads = [text('control: start presign'), new Uint8Array(0), text('protocol round 1')];
    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(payloads[0]!, ...payloads.slice(1));
    expect(frame.length).toBe(FRAME_OVERHEAD_BYTES + payloads.reduce((size, payload) => size + PAYLOAD_OVERHEAD_BYTES + payload.length, 0));
    expect(inbox.open(frame)).toEqual({ from: 0, payloads });
  });

  it('refuses a frame of the previous version', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('v2?'));
    frame[0] = 2;
    expect(rejection(() => inbox.open(frame))).toBe('malformed');
  });

  it('rejects an authentic frame whose batch is malformed, naming the authenticated sender', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const channel = new OutboundChannel(node0!.identity, prekeyOf(inbox));
    const bodies = {
      'no payloads': new ByteWriter().u32(0).finish(),
      'count over the limit': new ByteWriter().u32(MAX_PAYLOADS_PER_FRAME + 1).finish(),
      'count past the end': new ByteWriter().u32(2).bytes(text('only one')).finish(),
      'length past the end': new ByteWriter().u32(1).u32(100).fixed(text('short')).finish(),
      'trailing bytes': new ByteWriter().u32(1).bytes(text('one')).u8(0).finish(),
      'empty body': new Uint8Array(0),
    };
    for (const [flaw, body] of Object.entries(bodies)) {
      const error = rejectionError(() => inbox.open(channel.sealBody(body)));
      expect({ flaw, reason: error.reason, claimedSender: error.claimedSender }).toEqual({ flaw, reason: 'malformed', claimedSender: 0 });
    }
  });

  it('never carries the plaintext on the wire', () => {
    const frame = new OutboundChannel(node0!.identity, prekeyOf(new InboundChannels(node1!.identity, registered))).seal(text('presignature share 42'));
    expect(Buffer.from(frame).includes(Buffer.from('presignature share 42'))).toBe(false);
  });

  it('drops a replayed frame but accepts frames that arrive out of order', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const channel = new OutboundChannel(node0!.identity, prekeyOf(inbox));
    const frames = [0, 1, 2, 3].map((i) => channel.seal(text(`m${i}`)));
    for (const index of [2, 0, 3, 1]) expect(inbox.open(frames[index]!).payloads).toEqual([text(`m${index}`)]);
    expect(rejection(() => inbox.open(frames[2]!))).toBe('replay');
  });

  it('drops a replayed batch', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('a'), text('b'));
    expect(inbox.open(frame).payloads).toEqual([text('a'), text('b')]);
    expect(rejection(() => inbox.open(frame))).toBe('replay');
  });

  it('drops a frame older than the replay window', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const channel = new OutboundChannel(node0!.identity, prekeyOf(inbox));
    const oldest = channel.seal(text('old'));
    let newest = oldest;
    for (let i = 0; i < REPLAY_WINDOW; i += 1) newest = channel.seal(text('x'));
    inbox.open(newest);
    expect(rejection(() => inbox.open(oldest))).toBe('replay');
  });

  it('accepts a restarted sender (new session) and keeps refusing old replays', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const before = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('a'));
    inbox.open(before);
    expect(inbox.open(new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('b'))).payloads).toEqual([text('b')]);
    expect(rejection(() => inbox.open(before))).toBe('replay');
  });

  it('refuses strangers, impostors, misdelivery and tampering', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const stranger = generateMeshIdentity(7);
    expect(rejection(() => inbox.open(new OutboundChannel(stranger.identity, prekeyOf(inbox)).seal(text('hi'))))).toBe('unknown-sender');
    // Node 2 claims to be node 0: its signature does not verify under node 0's registered key.
    const impostor = { ...node2!.identity, id: 0 };
    expect(rejection(() => inbox.open(new OutboundChannel(impostor, prekeyOf(inbox)).seal(text('hi'))))).toBe('bad-signature');
    const node2Inbox = new InboundChannels(node2!.identity, registered);
    const forNode2 = new OutboundChannel(node0!.identity, prekeyOf(node2Inbox, node2!.keys)).seal(text('hi'));
    expect(rejection(() => inbox.open(forNode2))).toBe('wrong-recipient');

    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('payload'));
    const flipBody = frame.slice();
    flipBody[frame.length - 20]! ^= 1;
    expect(rejection(() => inbox.open(flipBody))).toBe('decrypt-failed');
    const flipSequence = frame.slice();
    // Back from the end: GCM tag, the batch (count, length, 7 bytes), then the 8-byte sequence.
    flipSequence[frame.length - 16 - (4 + 4 + 7) - 8]! ^= 1;
    expect(rejection(() => inbox.open(flipSequence))).toBe('decrypt-failed');
    // Version, sender, recipient, prekey, session id and ephemeral key come first: 89 bytes.
    const flipSignature = frame.slice();
    flipSignature[100]! ^= 1;
    const unseenSession = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('payload'));
    unseenSession[100]! ^= 1;
    // A receiver meeting the session first checks the signature; one that knows the session fails the
    // AEAD, which authenticates the whole header.
    expect(rejection(() => inbox.open(unseenSession))).toBe('bad-signature');
    expect(rejection(() => inbox.open(flipSignature))).toBe('decrypt-failed');
    // The genuine frame still opens: rejected frames did not move the replay window.
    expect(inbox.open(frame).payloads).toEqual([text('payload')]);
  });

  it('opens sessions only to a prekey signed by the registered identity key of the participant it names', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    expect(prekeyOf(inbox).id).toBe(1);
    // Node 2 serves a prekey of its own as node 1's (a man in the middle at node 1's URL).
    const forged = createSessionPrekey({ ...node2!.identity, id: 1 });
    expect(prekeyRejection(() => verifySessionPrekey(forged.signed, node1!.keys))).toBe('bad-signature');
    // Node 1's genuine prekey, served at node 2's URL: it names node 1, not node 2.
    expect(prekeyRejection(() => verifySessionPrekey(inbox.signedPrekey, node2!.keys))).toBe('wrong-participant');
    // Node 1 registered another key than the one that signed the prekey.
    expect(prekeyRejection(() => verifySessionPrekey(inbox.signedPrekey, { id: 1, identityPublicKey: node2!.keys.identityPublicKey }))).toBe('bad-signature');
    const swapped = inbox.signedPrekey.slice();
    swapped[10]! ^= 1;
    expect(prekeyRejection(() => verifySessionPrekey(swapped, node1!.keys))).toBe('bad-signature');
    expect(prekeyRejection(() => verifySessionPrekey(inbox.signedPrekey.subarray(1), node1!.keys))).toBe('malformed');
    expect(prekeyRejection(() => new OutboundChannel(node0!.identity, { id: 1, publicKey: new Uint8Array(32) }))).toBe('malformed');
  });

  it('refuses frames captured before the receiver restarted, and opens sessions to its new prekey', () => {
    const before = new InboundChannels(node1!.identity, registered);
    const captured = new OutboundChannel(node0!.identity, prekeyOf(before)).seal(text('sign request 7'));
    expect(before.open(captured).payloads).toEqual([text('sign request 7')]);
    // The same identity in a new process: a new prekey, and no memory of the sessions before.
    const restarted = new InboundChannels(node1!.identity, registered);
    expect(restarted.signedPrekey).not.toEqual(before.signedPrekey);
    expect(rejection(() => restarted.open(captured))).toBe('stale-prekey');
    expect(restarted.open(new OutboundChannel(node0!.identity, prekeyOf(restarted)).seal(text('again'))).payloads).toEqual([text('again')]);
    expect(rejection(() => restarted.open(captured))).toBe('stale-prekey');
  });

  it('remembers every session of its prekey, so a frame is a replay however many sessions came after it', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const first = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('first'));
    inbox.open(first);
    for (let i = 1; i < MAX_SESSIONS_PER_PEER; i += 1) inbox.open(new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text(`session ${i}`)));
    expect(rejection(() => inbox.open(first))).toBe('replay');
    // One session more than it keeps: the receiver renews its prekey, which ends every session.
    const signedBefore = inbox.signedPrekey;
    const oneTooMany = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('one too many'));
    expect(rejection(() => inbox.open(oneTooMany))).toBe('stale-prekey');
    expect(inbox.signedPrekey).not.toEqual(signedBefore);
    for (const frame of [first, oneTooMany]) expect(rejection(() => inbox.open(frame))).toBe('stale-prekey');
    expect(inbox.open(new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('renewed'))).payloads).toEqual([text('renewed')]);
  });

  it('keeps the replay window of a session whose sender re-registers its old key', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    const frame = new OutboundChannel(node0!.identity, prekeyOf(inbox)).seal(text('once'));
    inbox.open(frame);
    inbox.setPeer(generateMeshIdentity(0).keys);
    expect(rejection(() => inbox.open(frame))).toBe('bad-signature');
    inbox.setPeer(node0!.keys);
    expect(rejection(() => inbox.open(frame))).toBe('replay');
  });

  it('turns random bytes into a rejection, never a crash', () => {
    const inbox = new InboundChannels(node1!.identity, registered);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(() => inbox.open(bytes)).toThrow(MeshFrameRejected);
      }),
      { numRuns: 200 },
    );
  });
});
