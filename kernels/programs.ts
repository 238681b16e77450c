import gatherSource from '../shaders/spmm.wgsl?raw';
import nmColumnsSource from '../shaders/nm-transpose.wgsl?raw';
import sddmmSource from '../shaders/sddmm.wgsl?raw';
import gemmSource from '../shaders/gemm.wgsl?raw';
import scanSource from '../shaders/primitives/scan.wgsl?raw';
import selectSource from '../shaders/primitives/select.wgsl?raw';
import compactSource from '../shaders/primitives/compact.wgsl?raw';
import randomSource from '../shaders/fragments/random.wgsl?raw';
import setPruneSource from '../shaders/set/prune.wgsl?raw';
import csrCompactSource from '../shaders/set/compact-csr.wgsl?raw';
import setRegrowSource from '../shaders/set/regrow.wgsl?raw';
import csrTransposeSource from '../shaders/csr-transpose.wgsl?raw';
import elementwiseSource from '../shaders/elementwise.wgsl?raw';
import nmEvolveSource from '../shaders/set/nm-evolve.wgsl?raw';
import randomFillSource from '../shaders/primitives/random-fill.wgsl?raw';
import activationSource from '../shaders/activation.wgsl?raw';
import softmaxCeSource from '../shaders/softmax-ce.wgsl?raw';
import adamSource from '../shaders/adam.wgsl?raw';
import riglSource from '../shaders/rigl.wgsl?raw';
import commonSource from '../shaders/fragments/common.wgsl?raw';
import { specializeShader, type ShaderProgram } from '../src/gpu/program.js';

function program(key: string, source: string, flags: Record<string, boolean> = {}, constants: Record<string, number> = {}, entryPoint = 'main'): ShaderProgram {
  let code: string | undefined;
  // shaders/fragments/common.wgsl first: the helpers every kernel may call.
  return { key, code: () => (code ??= `${commonSource}\n${specializeShader(source, flags)}`), constants, entryPoint };
}

function gemmProgram(transA: boolean, transB: boolean): ShaderProgram {
  return program(`gemm:${transA ? 't' : 'n'}${transB ? 't' : 'n'}`, gemmSource, {}, { TRANS_A: transA ? 1 : 0, TRANS_B: transB ? 1 : 0 });
}

/**
 * The N:M gather, specialised per (n, m) so its group loops unroll, for vec4
 * loads, and for word-aligned layouts (see nmWordAligned); compiled on first use.
 */
const gatherNMPrograms = new Map<string, ShaderProgram>();
export function gatherNMProgram(n: number, m: number, vec4: boolean, aligned: boolean): ShaderProgram {
  const key = `spmm:nm:${n}:${m}${vec4 ? ':vec4' : ''}${aligned ? ':aligned' : ''}`;
  let p = gatherNMPrograms.get(key);
  if (!p) {
    p = program(key, gatherSource, { NM: true, VEC4: vec4, ALIGNED: aligned }, { NM_N: n, NM_M: m });
    gatherNMPrograms.set(key, p);
  }
  return p;
}

/** The CSR gather (forward, or Wᵀ through the transpose index), with vec4 loads of X when the batch allows. */
export function gatherCsrProgram(transpose: boolean, vec4: boolean): ShaderProgram {
  if (transpose) return vec4 ? programs.gatherCsrTransposeVec4 : programs.gatherCsrTranspose;
  return vec4 ? programs.gatherCsrVec4 : programs.gatherCsr;
}

function regrowPrograms() {
  const entry = (name: string) => program(`set/regrow:${name}`, randomSource + setRegrowSource, {}, {}, name);
  return {
    regrowGenerate: entry('generate'),
    regrowScatterBuckets: entry('scatterBuckets'),
    regrowRowBuckets: entry('rowBuckets'),
    regrowValidate: entry('validate'),
    regrowCountAccepted: entry('countAccepted'),
    regrowMergeRows: entry('mergeRows'),
    regrowGatherValues: entry('gatherValues'),
  };
}

export const programs = {
  gatherCsr: program('spmm:csr', gatherSource, { CSR: true }),
  gatherCsrVec4: program('spmm:csr:vec4', gatherSource, { CSR: true, VEC4: true }),
  gatherCsrTranspose: program('spmm:csr+perm', gatherSource, { CSR: true, PERM: true }),
  gatherCsrTransposeVec4: program('spmm:csr+perm:vec4', gatherSource, { CSR: true, PERM: true, VEC4: true }),
  gatherNM24: gatherNMProgram(2, 4, false, false),
  gatherNM24Vec4Aligned: gatherNMProgram(2, 4, true, true),
  nmColumns: program('nm-transpose', nmColumnsSource),
  sddmmCsr: program('sddmm:csr', sddmmSource, { CSR: true }),
  sddmmCsrVec4: program('sddmm:csr:vec4', sddmmSource, { CSR: true, VEC4: true }),
  sddmmNM: program('sddmm:nm', sddmmSource, { NM: true }),
  sddmmNMVec4: program('sddmm:nm:vec4', sddmmSource, { NM: true, VEC4: true }),
  scanChunkTotals: program('scan:chunkTotals', scanSource, {}, {}, 'chunkTotals'),
  scanChunks: program('scan:chunks', scanSource, {}, {}, 'scanChunks'),
  selectHistogram: program('select:histogram', selectSource, {}, {}, 'histogram'),
  selectPick: program('select:pick', selectSource, {}, {}, 'pick'),
  compactScatter: program('compact:scatter', compactSource),
  randomFill: program('random:fill', randomSource + randomFillSource),
  setAbsMin: program('set/prune:absMin', setPruneSource, {}, {}, 'absMin'),
  setCountOutside: program('set/prune:countOutside', setPruneSource, {}, {}, 'countOutside'),
  setKeepFlags: program('set/prune:keepFlags', setPruneSource, {}, {}, 'keepFlags'),
  csrScatterKept: program('set/compact-csr:scatterKept', csrCompactSource, {}, {}, 'scatterKept'),
  csrRowPointers: program('set/compact-csr:rowPointers', csrCompactSource, {}, {}, 'rowPointers'),
  ...regrowPrograms(),
  nmGroupMinimum: program('set/nm-evolve:groupMinimum', randomSource + nmEvolveSource, {}, {}, 'groupMinimum'),
  nmEvolveGroups: program('set/nm-evolve:evolveGroups', randomSource + nmEvolveSource, {}, {}, 'evolveGroups'),
  nmPackWords: program('set/nm-evolve:packWords', randomSource + nmEvolveSource, {}, {}, 'packWords'),
  addBias: program('elementwise:addBias', elementwiseSource, {}, {}, 'addBias'),
  rowSums: program('elementwise:rowSums', elementwiseSource, {}, {}, 'rowSums'),
  sgdMomentum: program('elementwise:sgdMomentum', elementwiseSource, {}, {}, 'sgdMomentum'),
  activate: program('activation:activate', randomSource + activationSource, {}, {}, 'activate'),
  derive: program('activation:derive', randomSource + activationSource, {}, {}, 'derive'),
  adam: program('adam', adamSource),
  softmaxCrossEntropy: program('softmax-ce:softmaxCrossEntropy', softmaxCeSource, {}, {}, 'softmaxCrossEntropy'),
  accumulateMetrics: program('softmax-ce:accumulateMetrics', softmaxCeSource, {}, {}, 'accumulateMetrics'),
  csrRowsOfEntries: program('csr-transpose:rowsOfEntries', csrTransposeSource, {}, {}, 'rowsOfEntries'),
  csrCountColumns: program('csr-transpose:countColumns', csrTransposeSource, {}, {}, 'countColumns'),
  csrScatterColumns: program('csr-transpose:scatterColumns', csrTransposeSource, {}, {}, 'scatterColumns'),
  csrSortColumns: program('csr-transpose:sortColumns', csrTransposeSource, {}, {}, 'sortColumns'),
  csrCountColumnBlocks: program('csr-transpose:countColumnBlocks', csrTransposeSource, {}, {}, 'countColumnBlocks'),
  csrColumnPointers: program('csr-transpose:columnPointers', csrTransposeSource, {}, {}, 'columnPointers'),
  csrScatterColumnBlocks: program('csr-transpose:scatterColumnBlocks', csrTransposeSource, {}, {}, 'scatterColumnBlocks'),
  gemmNN: gemmProgram(false, false),
  gemmNT: gemmProgram(false, true),
  gemmTN: gemmProgram(true, false),
  gemmTT: gemmProgram(true, true),
  // --- RigL growth by gradient magnitude (kernels/set/rigl-gpu.ts, shaders/rigl.wgsl) ---
  riglBlockGradient: program('rigl:blockGradient', riglSource, {}, {}, 'blockGradient'),
  riglMaskPresent: program('rigl:maskPresent', riglSource, {}, {}, 'maskPresent'),
  riglCountCandidates: program('rigl:countCandidates', riglSource, {}, {}, 'countCandidates'),
  riglScatterCandidates: program('rigl:scatterCandidates', riglSource, {}, {}, 'scatterCandidates'),
  riglCountGrown: program('rigl:countGrown', riglSource, {}, {}, 'countGrown'),
  riglRowPointers: program('rigl:rowPointers', riglSource, {}, {}, 'rowPointers'),
  riglMergeRows: program('rigl:mergeRows', riglSource, {}, {}, 'mergeRows'),
  riglGatherValues: program('rigl:gatherValues', riglSource, {}, {}, 'gatherValues'),
  // --- end RigL ---
} as const satisfies Record<string, ShaderProgram>;

export function gemmVariant(transA: boolean, transB: boolean): ShaderProgram {
  return transA ? (transB ? programs.gemmTT : programs.gemmTN) : transB ? programs.gemmNT : programs.gemmNN;
}
