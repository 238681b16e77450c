// The recorder of the tracing variants (flag TRACE; bench/model/wgsl-trace.ts
// runs them on SwiftShader and reads the events back): each traced load or
// store of an invocation appends one event of four words to `trace` —
// invocation (workgroup × its size + local_invocation_index), step, buffer |
// kind << 8 | bytes << 16, byte offset. Word 0 counts the events, also those
// that did not fit, so the host can tell a truncated trace from a complete
// one. Steps number access sites as bench/model/trace.ts's stepOf does
// (site + sites × loop iteration), so lanes that make the same access at the
// same iteration share a step whatever order the events arrive in.

var<private> traceInvocation: u32;

const TRACE_HEADER_WORDS: u32 = 4u;
const TRACE_EVENT_WORDS: u32 = 4u;

fn traceAccess(kind: u32, step: u32, buffer: u32, bytes: u32, byteOffset: u32) {
  let at = TRACE_HEADER_WORDS + atomicAdd(&trace[0], 1u) * TRACE_EVENT_WORDS;
  if (at + TRACE_EVENT_WORDS > arrayLength(&trace)) { return; }
  atomicStore(&trace[at], traceInvocation);
  atomicStore(&trace[at + 1u], step);
  atomicStore(&trace[at + 2u], buffer | (kind << 8u) | (bytes << 16u));
  atomicStore(&trace[at + 3u], byteOffset);
}

fn traceLoad(step: u32, buffer: u32, bytes: u32, byteOffset: u32) {
  traceAccess(0u, step, buffer, bytes, byteOffset);
}

fn traceStore(step: u32, buffer: u32, bytes: u32, byteOffset: u32) {
  traceAccess(1u, step, buffer, bytes, byteOffset);
}

// The steps variants (bench/model/wgsl-steps.ts) bind the same `trace`
// buffer, one per dispatch, and count an invocation's dependent steps the
// way bench/model/evolution.ts does: one for the entry point, one per loop
// iteration (the host puts a traceStep() call at the top of the entry point
// and of every loop body). Word 0 keeps the most any invocation reached; an
// atomicMax per step needs no exit hook on the entry points' early returns.
var<private> traceSteps: u32;

fn traceStep() {
  traceSteps++;
  atomicMax(&trace[0], traceSteps);
}
