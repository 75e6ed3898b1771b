/**
 * A page of rows and the total that match, from one statement of the shape
 *
 *   select p.*, c.total
 *   from (select count(*)::int as total from … where …) c
 *   left join lateral (select … where … order by … limit … offset …) p on true
 *
 * The count and the top-N page are planned as two queries would be, but
 * travel in one round trip on one pooled connection; the left join keeps one
 * row (all page columns null) when the page is empty, so the total is known
 * even past the end.
 */

/** Splits such rows into the page's items (rows with an `id`) and the total. */
export function pageOf<T extends { id: unknown }>(
  rows: ReadonlyArray<T & { total: number }>,
): { items: T[]; total: number } {
  const items: T[] = [];
  for (const { total: _, ...row } of rows) if (row.id !== null) items.push(row as unknown as T);
  return { items, total: rows[0]?.total ?? 0 };
}
