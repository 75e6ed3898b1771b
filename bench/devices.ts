/** Devices for a benchmark, created through the real api in chunks of 50 (the way an admin script would). */
import { client } from '../cli/testing/cluster.ts';

/**
 * Creates `count` interval-meter devices named `<name> <i>`; `fields` overrides the defaults
 * (a limit no benchmark reaches, so alerts are not what is measured). Throws on any non-201.
 */
export async function createDevices(
  url: string,
  token: string,
  count: number,
  name: string,
  fields: Record<string, unknown> = {},
): Promise<string[]> {
  const call = client(url, token);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const created = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) =>
        call<{ id: string }>('POST', '/api/devices', {
          name: `${name} ${i + k}`,
          maxHourlyKwh: 1e6,
          meterKind: 'interval',
          ...fields,
        }),
      ),
    );
    for (const res of created) {
      if (res.status !== 201) throw new Error(`creating a device: ${res.status} ${JSON.stringify(res.body)}`);
      ids.push(res.body.id);
    }
  }
  return ids;
}
