/** `{field: {from: null, to: value}}` for an object that was created (fields with a value only). */
export function createdChanges<T extends object>(value: T, fields: readonly (keyof T & string)[]) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of fields)
    if (value[f] !== undefined && value[f] !== null) changes[f] = { from: null, to: value[f] };
  return changes;
}

/** `{field: {from: value, to: null}}` for an object that was deleted. */
export function deletedChanges<T extends object>(value: T, fields: readonly (keyof T & string)[]) {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const f of fields)
    if (value[f] !== undefined && value[f] !== null) changes[f] = { from: value[f], to: null };
  return changes;
}
