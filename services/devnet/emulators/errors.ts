/** Raised when a local emulator cannot be started; the message says what to do about it. */
export class EmulatorStartError extends Error {
  constructor(
    readonly emulator: 'dynamodb-local' | 'fauxqs',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${emulator}: ${message}`, options);
    this.name = 'EmulatorStartError';
  }
}
