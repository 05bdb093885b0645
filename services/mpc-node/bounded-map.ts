/**
 * Sets `key` as the newest entry of an insertion-ordered map and forgets the oldest entries beyond
 * `limit`: bounded memory of recent events (early aborts, followed runs) that peers cannot grow.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) map.delete(map.keys().next().value!);
}
