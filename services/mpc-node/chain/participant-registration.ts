/**
 * Keeps this node registered with the signer contract. near/mpc 3.14 accepts a participant's votes and
 * responses only while the contract holds its registration: the mesh key (`tls_public_key`), bound to
 * the account key the node sends with, and an attestation (`submit_participant_info`). `init` stores
 * placeholders for the initial participants that do not carry that account key, and a joining node
 * must be registered before the others can vote it in, so the node registers as soon as the contract
 * is initialized, then looks every `checkIntervalMs` (`get_attestation`) and registers again when its
 * entry is gone (cleaned after it expired or after the node left the set) or expires within
 * `renewBeforeExpirySeconds` (near/mpc keeps a submitted mock 7 days in 3.14.0, 21 in 3.14.1).
 *
 * The attestation sent is a mock one: a node running in a TEE would send its quote here instead
 * (`MpcSignerClient.submitParticipantInfo`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { VerifiedAttestation } from '../../../shared/near/signer-abi.js';
import type { MpcSignerClient } from './chain.js';

/** Register again this long before the stored attestation expires: a day of checks and retries to spare. */
export const DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS = 24 * 3600;

export interface ParticipantRegistrationOptions {
  readonly contract: MpcSignerClient;
  /** This node's mesh identity key, `ed25519:<base58>`. */
  readonly tlsPublicKey: string;
  readonly checkIntervalMs: number;
  readonly logger: Logger;
  /** Default {@link DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS}. */
  readonly renewBeforeExpirySeconds?: number;
  /** Wall-clock milliseconds (tests move it). */
  readonly now?: () => number;
}

/** Why a stored attestation needs a new submission, or null when it does not. */
export function renewalReason(stored: VerifiedAttestation | null, nowSeconds: number, renewBeforeExpirySeconds: number): string | null {
  if (stored === null) return 'the contract holds no registration for this node';
  const constraints = 'Mock' in stored && typeof stored.Mock === 'object' ? stored.Mock.WithConstraints : undefined;
  const expiry = constraints?.expiry_timestamp_seconds ?? null;
  if (expiry !== null && expiry - nowSeconds <= renewBeforeExpirySeconds) return `the registration expires at ${new Date(expiry * 1000).toISOString()}`;
  return null;
}

export class ParticipantRegistration {
  private registered = false;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly options: ParticipantRegistrationOptions) {}

  /** Whether a `submit_participant_info` of this process has landed. */
  get isRegistered(): boolean {
    return this.registered;
  }

  /** Sends `submit_participant_info`; throws what the chain threw (the caller decides when to try again). */
  async register(): Promise<void> {
    const { contract, tlsPublicKey, logger } = this.options;
    await contract.submitParticipantInfo(tlsPublicKey);
    this.registered = true;
    logger.info('registered with the signer contract', { tlsPublicKey, attestation: 'mock' });
  }

  /** One look at the stored registration; registers again when it is gone or about to expire. Failures are logged, the next look retries. */
  async check(): Promise<void> {
    const { contract, tlsPublicKey, logger } = this.options;
    try {
      const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000);
      const reason = renewalReason(await contract.attestation(tlsPublicKey), nowSeconds, this.options.renewBeforeExpirySeconds ?? DEFAULT_RENEW_BEFORE_EXPIRY_SECONDS);
      if (reason === null) return;
      logger.warn('registering with the signer contract again', { tlsPublicKey, reason });
      await this.register();
    } catch (error) {
      logger.warn('checking this node’s registration failed; will look again', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  start(): void {
    this.timer = setInterval(() => {
      this.checking = this.checking.then(() => this.check());
    }, this.options.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }
}
