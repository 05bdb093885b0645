/** Typed errors of the devnet Lake writer and S3-event bridge. */
export class LakeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A block the writer must write is no longer retained by the chain (it was pruned from memory). */
export class LakeGapError extends LakeError {
  constructor(readonly height: number) {
    super(`block ${height} is no longer retained by the chain; the Lake bucket would have a gap`);
  }
}
