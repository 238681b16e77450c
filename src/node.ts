/**
 * Node-only additions (`wgsparse/node`): file loaders that need `node:fs`,
 * kept out of the main entry so browser bundles never see them.
 */
export { loadMnist, loadIdxPair, MNIST_FILES, type MnistOptions } from './data/mnist.js';
