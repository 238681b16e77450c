/**
 * The browser-safe data layer. The Node file loaders (loadMnist, loadIdxPair)
 * live in ./mnist.ts and are imported by path, so that this entry never
 * pulls in node:fs.
 */
export * from './dataset.js';
export * from './idx.js';
export * from './image-border.js';
export * from './microarray.js';
export * from './standardize.js';
export * from './synthetic.js';
