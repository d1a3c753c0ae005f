/** The store cannot be used: a corrupt, foreign, truncated or unwritable database file. The message says which and what to do. */
export class StoreUnusableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnusableError';
  }
}
