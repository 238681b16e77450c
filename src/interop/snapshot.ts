/**
 * What ONNX and safetensors files carry besides the weights: one entry per
 * layer of the Sequential, as JSON (ONNX metadata_props["wgsparse.layers"],
 * safetensors __metadata__["wgsparse.layers"]), and the checks both
 * importers run on it.
 */
import { InvalidArgumentError } from '../errors.js';
import type { WeightInit } from '../formats/init.js';
import { checkNM } from '../formats/nm.js';
import { activationOf, isActivationKind, type ActivationLayer } from '../model/activations.js';
import { checkChain, type ModelSnapshot } from '../model/model-file.js';
import { InteropFormatError, type InteropFormat } from './errors.js';

/** Bumped only when an older importer would misread the entries. */
export const LAYER_METADATA_VERSION = 1;

export type LinearKind = 'sparse-linear' | 'nm-linear' | 'dense-linear';

/**
 * One layer. Linear layers give their shape (`in`, `out`) and format; an
 * N:M layer its `n` and `m`; activations are written as the model file
 * writes them (activationOf: leaky-relu its slope, dropout its rate, kept so
 * that a re-imported model trains as before; inference skips it).
 */
export type LayerMeta =
  | { kind: 'sparse-linear' | 'dense-linear'; in: number; out: number; init: WeightInit }
  | { kind: 'nm-linear'; in: number; out: number; n: number; m: number; init: WeightInit }
  | ActivationLayer;

const INITS: Record<WeightInit, true> = { 'he-uniform': true, 'glorot-uniform': true, normal: true, uniform: true };

export function layerMetaOf(snapshot: ModelSnapshot): LayerMeta[] {
  return snapshot.layers.map((layer): LayerMeta => {
    switch (layer.kind) {
      case 'nm-linear':
        return { kind: layer.kind, in: layer.W.cols, out: layer.W.rows, n: layer.W.n, m: layer.W.m, init: layer.init };
      case 'sparse-linear':
      case 'dense-linear':
        return { kind: layer.kind, in: layer.W.cols, out: layer.W.rows, init: layer.init };
      default:
        return activationOf(layer, 'layer');
    }
  });
}

export function layerMetaJson(snapshot: ModelSnapshot): string {
  return JSON.stringify({ version: LAYER_METADATA_VERSION, layers: layerMetaOf(snapshot) });
}

/** A snapshot an exporter can write: non-empty, its linear layers chained. */
export function checkSnapshot(snapshot: ModelSnapshot): void {
  if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.layers) || snapshot.layers.length === 0) {
    throw new InvalidArgumentError('model', 'must hold at least one layer');
  }
  if (!snapshot.layers.some((l) => 'W' in l)) throw new InvalidArgumentError('model', 'must hold a linear layer');
  checkChain(snapshot.layers);
}

/** Parses and checks the layer entries; throws InteropFormatError naming the entry at fault. */
export function readLayerMeta(format: InteropFormat, text: string, where: { tensor?: string } = {}): LayerMeta[] {
  const fail = (message: string, cause?: unknown): never => {
    throw new InteropFormatError(format, 'corrupt', `wgsparse.layers metadata: ${message}`, cause === undefined ? where : { ...where, cause });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    fail(`not valid JSON (${e instanceof Error ? e.message : String(e)})`, e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('must be a JSON object');
  const obj = parsed as Record<string, unknown>;
  if (obj.version !== LAYER_METADATA_VERSION) {
    if (typeof obj.version === 'number' && obj.version > LAYER_METADATA_VERSION) {
      throw new InteropFormatError(format, 'unsupported', `wgsparse.layers metadata version ${obj.version} is newer than this reader's ${LAYER_METADATA_VERSION} (upgrade wgsparse)`, where);
    }
    fail(`version must be ${LAYER_METADATA_VERSION}, got ${JSON.stringify(obj.version)}`);
  }
  if (!Array.isArray(obj.layers) || obj.layers.length === 0) return fail('layers must be a non-empty array');
  const count = (e: Record<string, unknown>, key: string, at: string): number => {
    const v = e[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) fail(`${at}.${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  return obj.layers.map((raw: unknown, i: number): LayerMeta => {
    const at = `layers[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(`${at} must be an object`);
    const e = raw as Record<string, unknown>;
    const init = (): WeightInit => {
      if (typeof e.init !== 'string' || !Object.hasOwn(INITS, e.init)) fail(`${at}.init ${JSON.stringify(e.init)} is not a known initialisation`);
      return e.init as WeightInit;
    };
    switch (e.kind) {
      case 'sparse-linear':
      case 'dense-linear':
        return { kind: e.kind, in: count(e, 'in', at), out: count(e, 'out', at), init: init() };
      case 'nm-linear': {
        const entry = { kind: e.kind, in: count(e, 'in', at), out: count(e, 'out', at), n: count(e, 'n', at), m: count(e, 'm', at), init: init() } as const;
        try {
          checkNM(entry.n, entry.m);
        } catch (err) {
          fail(`${at}: ${err instanceof Error ? err.message : String(err)}`, err);
        }
        if (entry.in % entry.m !== 0) fail(`${at}.in = ${entry.in} is not a multiple of m = ${entry.m}`);
        return entry;
      }
      default: {
        const kind = e.kind;
        if (!isActivationKind(kind)) return fail(`${at}.kind ${JSON.stringify(kind)} is not a known layer kind`);
        try {
          return activationOf({ ...e, kind }, at);
        } catch (err) {
          if (err instanceof InvalidArgumentError) return fail(err.message, err);
          throw err;
        }
      }
    }
  });
}
