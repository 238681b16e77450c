/**
 * Folds a 1-D workgroup count into a 3-D dispatch that respects
 * maxComputeWorkgroupsPerDimension (65,535 by default). Shaders recover the
 * linear id with linearWorkgroupId() from shaders/fragments/common.wgsl and skip ids
 * ≥ the real count (the fold may round up).
 */
export function foldWorkgroups(count: number, maxPerDimension: number): [number, number, number] {
  if (count <= maxPerDimension) return [Math.max(1, count), 1, 1];
  const x = maxPerDimension;
  const yz = Math.ceil(count / x);
  if (yz <= maxPerDimension) return [x, yz, 1];
  const y = maxPerDimension;
  const z = Math.ceil(yz / y);
  if (z > maxPerDimension) throw new RangeError(`${count} workgroups exceed the device's dispatch limit`);
  return [x, y, z];
}
