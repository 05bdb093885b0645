/** A sealed item could not be opened: wrong item id, tampered bytes, or a data key this node cannot unseal. */
export class SealError extends Error {
  constructor(
    readonly itemId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open sealed item ${itemId}: ${message}`, options);
    this.name = 'SealError';
  }
}

/** A storage adapter failed for a reason other than a lost race; `operation` names what was attempted. */
export class StoreError extends Error {
  constructor(
    readonly operation: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${message}`, options);
    this.name = 'StoreError';
  }
}
