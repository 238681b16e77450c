import type { BufferOwner } from '../../src/gpu/gpu-context.js';

/**
 * Runs `build`, which creates buffers in `owners`; if it throws (or its
 * promise rejects), e.g. with a DeviceLimitError naming an array, every one
 * of them is released before the error goes on, so a failed upload or
 * rebuild leaves nothing allocated.
 */
export function releaseOnThrow<T>(owners: readonly BufferOwner[], build: () => T): T {
  const release = (e: unknown): never => {
    for (const owner of owners) owner.release();
    throw e;
  };
  try {
    const result = build();
    return result instanceof Promise ? (result.catch(release) as T) : result;
  } catch (e) {
    return release(e);
  }
}
