import { toChainedEvent } from './audit-event.ts';
import { chainHash } from './audit-hash.ts';
import type { AuditStore } from './audit-store.ts';

export interface VerifyResult {
  /** True when every event from the checkpoint to the chain head is present, in order, unaltered. */
  valid: boolean;
  /** Events verified before the first invalid one (all of them when valid). */
  checked: number;
  /** The first sequence number that is missing, out of place or altered; null when valid. */
  firstInvalidSeq: number | null;
  /** The chain head verified against (seq), null for an empty log. */
  headSeq: number | null;
}

/**
 * Walks a tenant's chain from its retention checkpoint to the head the store reports, recomputing
 * every hash over the canonical encoding, in constant memory. Stops at the first event that is
 * missing (deleted row, truncated tail), out of place (swapped rows) or altered (edited field):
 * its seq is `firstInvalidSeq`. Events appended while it runs are beyond the head it read and are
 * left for the next run.
 */
export async function verifyAuditChain(
  store: AuditStore,
  tenantId: string,
  options: { onProgress?: (checked: number) => void | Promise<void> } = {},
): Promise<VerifyResult> {
  const head = await store.readChainHead(tenantId);
  const checkpoint = await store.readCheckpoint(tenantId);
  if (!head) {
    const valid = checkpoint.seq === 0;
    return { valid, checked: 0, firstInvalidSeq: valid ? null : checkpoint.seq + 1, headSeq: null };
  }
  const invalid = (seq: number, checked: number): VerifyResult => ({
    valid: false,
    checked,
    firstInvalidSeq: seq,
    headSeq: head.seq,
  });
  if (head.seq < checkpoint.seq) return invalid(head.seq + 1, 0);

  let expectedSeq = checkpoint.seq + 1;
  let prevHash = checkpoint.hash;
  let checked = 0;
  for await (const batch of store.scanEvents(tenantId, {
    afterSeq: checkpoint.seq,
    throughSeq: head.seq,
  })) {
    for (const event of batch) {
      if (event.seq !== expectedSeq || event.prevHash !== prevHash)
        return invalid(expectedSeq, checked);
      const hash = chainHash(prevHash, toChainedEvent(event));
      if (hash !== event.hash) return invalid(event.seq, checked);
      prevHash = hash;
      expectedSeq += 1;
      checked += 1;
    }
    await options.onProgress?.(checked);
  }
  // Rows missing at the end (a truncated tail), or a head that names another hash.
  if (expectedSeq <= head.seq) return invalid(expectedSeq, checked);
  if (head.hash !== prevHash) return invalid(head.seq, checked - 1);
  return { valid: true, checked, firstInvalidSeq: null, headSeq: head.seq };
}
