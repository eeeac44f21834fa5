import { sql } from 'kysely';
import type { Tx } from '../../data/database.ts';
import { conflict } from '../../errors.ts';

/**
 * What a workspace stores in money, by kind, as a person would name it. Each look-up stops at the
 * first row (an index on tenant_id leads every one of these tables).
 */
export async function storedMoneyKinds(tx: Tx, tenantId: string): Promise<string[]> {
  const { rows } = await sql<{ kind: string }>`
    SELECT 'services with an amount' AS kind
      WHERE EXISTS (SELECT 1 FROM services WHERE tenant_id = ${tenantId} AND amount > 0)
    UNION ALL SELECT 'time entries'
      WHERE EXISTS (SELECT 1 FROM time_entries WHERE tenant_id = ${tenantId})
    UNION ALL SELECT 'imported revenue'
      WHERE EXISTS (SELECT 1 FROM metrics_monthly WHERE tenant_id = ${tenantId} AND revenue > 0)
    UNION ALL SELECT 'conversion values'
      WHERE EXISTS (SELECT 1 FROM sites WHERE tenant_id = ${tenantId} AND conversion_value > 0)
    UNION ALL SELECT 'value goals'
      WHERE EXISTS (SELECT 1 FROM goals WHERE tenant_id = ${tenantId} AND metric = 'value')`.execute(
    tx,
  );
  return rows.map((r) => r.kind);
}

/**
 * Refuses to change a workspace's currency once it stores money (409): stored amounts are minor
 * units of the currency they were entered in, and are never converted or relabelled. Setting the
 * same currency again is no change. Called with the tenant row locked.
 */
export async function assertCurrencyChangeAllowed(
  tx: Tx,
  tenantId: string,
  from: string,
  to: string,
): Promise<void> {
  if (from === to) return;
  const kinds = await storedMoneyKinds(tx, tenantId);
  if (kinds.length === 0) return;
  throw conflict(
    `The currency cannot change from ${from} to ${to}: this workspace already stores amounts in ${from} (${kinds.join(', ')}). Amounts are never converted, and relabelling them would misstate every figure; keep ${from}, or use a new workspace for ${to}.`,
  );
}
