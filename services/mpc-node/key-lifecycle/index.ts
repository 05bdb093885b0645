/** The node's key lifecycle: contract key events → DKG / reshare runs and votes; loading the keys the node serves with. */
export { KeyLifecycle, type KeyEventOutcome, type KeyLifecycleOptions } from './key-lifecycle.js';
export { loadServingKeys, type LoadServingKeysOptions } from './serving-keys.js';
export { ServingKeyLoader, type ServingKeyLoaderOptions } from './serving-key-loader.js';
export { keyEventInstanceId } from './instance-id.js';
export { compressedPublicKey, curveOfScheme, nearFormOfPublicKey } from './public-keys.js';
export { KeyEventAttemptFailed, ProposedKeyMismatch, ReshareInputMissing, ServingKeyMissing, describeKeyEvent, type KeyEventKind } from './errors.js';
