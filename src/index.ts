export { createEngine, Engine, type EngineOptions, type BackendName, type KernelName, type KernelArgs, type KernelResult } from './engine/engine.js';
export type { PreparedOperation } from './gpu/gpu-context.js';
export type { AdapterInfo } from './gpu/acquire-device.js';
export type { KernelProfile, KernelProfileChoice, KernelProfileOption } from './gpu/kernel-profile.js';
export { CSRMatrix, type CSRParts, type CSRTransposeIndex, type CSRRandomOptions } from './formats/csr.js';
export { NMMatrix, type NMParts, SUPPORTED_M } from './formats/nm.js';
export { DenseMatrix } from './formats/dense.js';
export { LinearLayer } from './layers/linear-layer.js';
export { SparseLinear, type SparseLinearOptions, type SparseEvolveOptions } from './layers/sparse-linear.js';
export { NMLinear, type NMLinearOptions } from './layers/nm-linear.js';
export { DenseLinear, type DenseLinearOptions } from './layers/dense-linear.js';
export type { WeightInit } from './formats/init.js';
export type { AdamOptions, EvolveSetOptions, EvolveSetResult, GemmOptions, SddmmOptions, SgdOptions, ThreadsReason } from './options.js';
export { RandomStream, randomU32, randomUnit } from './random.js';
export { cosineZeta } from './sparsity/schedule.js';
export {
  WgsparseError,
  InvalidArgumentError,
  ShapeMismatchError,
  DeviceLimitError,
  DisposedError,
  DeviceLostError,
  GpuError,
  BackendUnavailableError,
  TrainingDivergedError,
  AllocationError,
  type KeptState,
} from './errors.js';
export { Sequential, type FitOptions, type FitTask, type FitCorruption, type BatchProgress } from './model/sequential.js';
export type { EpochLog, History, PhaseTime, TrainingPhase } from './history.js';
export { TRAINING_PHASES } from './history.js';
export { relu, leakyRelu, sigmoid, tanh, dropout, softmax, type ActivationLayer } from './model/activations.js';
export type { ModelLayer } from './model/stages.js';
export { sgd, adam, type Optimizer, type SgdOptimizer, type AdamOptimizer } from './model/optimizer.js';
export { set, rigl, type Evolution } from './model/evolution.js';
export { type Dataset, validateDataset, subset, shuffledOrder, gatherBatch } from './data/dataset.js';
export { featureStatistics, standardize, type FeatureStatistics } from './data/standardize.js';
export { parseIdx, idxToDataset, MNIST_FILES, type IdxArray, type IdxData, type IdxDatasetOptions } from './data/idx.js';
export { syntheticClassification, syntheticImages, type SyntheticOptions, type SyntheticImageOptions } from './data/synthetic.js';
export { syntheticMicroarray, LEUKEMIA_SHAPE, type MicroarrayOptions, type MicroarrayDataset } from './data/microarray.js';
export { borderShare, isBorderPixel, MNIST_BORDER_WIDTH, type BorderOptions } from './data/image-border.js';
export { setMlpLayers, variantEvolution, MLP_VARIANTS, type MlpVariant, type SetMlpOptions } from './model/presets.js';
export {
  QUICK_SELECTION_SETTINGS,
  quickSelectionLayers,
  quickSelectionEvolution,
  quickSelectionOptimizer,
  checkAutoencoder,
  type QuickSelectionLayerOptions,
} from './model/quick-selection.js';
export { neuronStrength, selectFeatures, type SelectedFeatures } from './model/feature-selection.js';
export { ModelFormatError, MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelFormatErrorReason, type ModelMetadata } from './model/model-file.js';
