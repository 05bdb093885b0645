import { ProtocolInputError } from '../errors.js';

/** Bad inputs to `ecdsa-presign` or `ecdsa-sign`; see {@link ProtocolInputError}. */
export class EcdsaInputError extends ProtocolInputError {}
