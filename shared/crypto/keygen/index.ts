/**
 * Key lifecycle for both curves, without a trusted dealer: DKG, reshare, refresh (sans-IO
 * protocols producing {@link KeyShare}s), their wire codec, the key-share storage codec, and the
 * bridge to noble's FROST key packages for Ed25519 signing. See README.md beside this file.
 */
export { createDkg, type DkgConfig } from './dkg.js';
export { createRefresh, createReshare, type RefreshConfig, type ReshareConfig } from './reshare.js';
export { decodeKeyShare, encodeKeyShare } from './key-share-codec.js';
export { frostIdentifierOf, toFrostKeyPackage, type FrostKeyPackage } from './frost-package.js';
export { decodeKeygenMessage, encodeKeygenMessage, type KeygenMessage } from './messages.js';
