/**
 * Priority preemption's choice of victims: which running requests pause this step so that queued
 * requests of better priority get a sequence. It only chooses; Scheduler.ts pauses the victims and
 * queues them after the choice, so they cannot claim the sequences they give up. Whether preemption
 * is on at all is the scheduler's config.
 */

/** What the choice reads of a request. */
export interface PreemptionCandidate {
  /** Lower is better. */
  readonly priority: number;
  /** Order of the latest placement; among equal priorities the most recent one pauses first. */
  readonly admissionOrder: number;
}

/**
 * Walks `queue` best first; each entry claims one of the `numIdleSequences` idle sequences or,
 * failing that, the sequence of the worst running request not yet chosen (highest priority value;
 * among equals the most recently admitted), provided that one has a strictly worse priority. The
 * walk stops at the first entry that can claim nothing. Returns the victims, worst first.
 */
export function choosePreemptionVictims<T extends PreemptionCandidate>(
  queue: Iterable<PreemptionCandidate>, running: readonly T[], numIdleSequences: number
): T[] {
  const victims: T[] = [];
  let numUnclaimedIdle = numIdleSequences;
  let worstFirst: T[] | undefined;
  for (const candidate of queue) {
    if (numUnclaimedIdle > 0) {
      numUnclaimedIdle--;
      continue;
    }
    worstFirst ??= [...running].sort(compareWorstFirst);
    const victim = worstFirst[victims.length];
    if (victim === undefined || !(candidate.priority < victim.priority)) break;
    victims.push(victim);
  }
  return victims;
}

/** Sort order: higher priority value first, then the later admission. */
function compareWorstFirst(a: PreemptionCandidate, b: PreemptionCandidate): number {
  if (a.priority !== b.priority) return a.priority > b.priority ? -1 : 1;
  return b.admissionOrder - a.admissionOrder;
}
