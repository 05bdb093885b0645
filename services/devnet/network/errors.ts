/** A step of the local network launcher failed; `step` names which, the cause says why. */
export class LocalNetworkError extends Error {
  constructor(
    readonly step: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`local network, ${step}: ${message}`, options);
    this.name = 'LocalNetworkError';
  }
}
