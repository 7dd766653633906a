import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempDir } from './temp-dir';
import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('times out with the condition name and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still broken');
        },
        { timeoutMs: 30, intervalMs: 5, what: 'the thing' },
      ),
    ).rejects.toThrow('waitFor the thing timed out after 30 ms: still broken');
  });
});

describe('createTempDir', () => {
  it('writes nested files and removes everything, idempotently', async () => {
    const dir = await createTempDir();
    const file = await dir.write('a/b.yaml', 'x: 1\n');
    expect(file).toBe(join(dir.path, 'a/b.yaml'));
    await dir.remove();
    await dir.remove();
    await expect(access(dir.path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
