/**
 * A latch a test opens once: whatever waits on it resumes then, and later waits pass at once. With
 * the fake executor's `beforeStep` it holds a model mid-step, so "X happens while Y is stalled" is an
 * ordering the test controls rather than a race against a delay.
 */
export interface Gate {
  /** Resolves once the gate is open. */
  readonly wait: () => Promise<void>;
  readonly open: () => void;
}

export function createGate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return {wait: () => opened, open};
}
