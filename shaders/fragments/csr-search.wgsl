// Binary searches in a CSR whose rows hold sorted columns, for the kernels
// that ask where an entry or a column sits without walking a row (the
// transpose index, SET's regrowth merge). The includer binds `rowPtr` and
// `colIdx` and has `params.rows`.

// The row of entry k: the last r with rowPtr[r] ≤ k (empty rows share their
// pointer with the next row, so the last one is the row holding k).
fn rowOfEntry(k: u32) -> u32 {
  var lo = 0u;
  var hi = params.rows;
  while (lo < hi) {
    let mid = (lo + hi + 1u) / 2u;
    if (rowPtr[mid] <= k) { lo = mid; } else { hi = mid - 1u; }
  }
  return lo;
}

// Entries of row r with a column below c.
fn columnsBelow(r: u32, c: u32) -> u32 {
  var lo = rowPtr[r];
  var hi = rowPtr[r + 1u];
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (colIdx[mid] < c) { lo = mid + 1u; } else { hi = mid; }
  }
  return lo - rowPtr[r];
}

// Whether row r holds column c.
fn rowHolds(r: u32, c: u32) -> bool {
  let at = rowPtr[r] + columnsBelow(r, c);
  return at < rowPtr[r + 1u] && colIdx[at] == c;
}
