// Kept apart from the codecs so that the published declarations of
// wgsparse/interop reference no protobuf library types.

/** Opset of the default domain that exported ONNX models import. */
export const ONNX_OPSET = 17;
/** The ONNX IR version that goes with opset 17. */
export const ONNX_IR_VERSION = 8;
/** metadata_props key of the layer entries (docs/interop.md). */
export const ONNX_METADATA_KEY = 'wgsparse.layers';
/** __metadata__ key of the layer entries (docs/interop.md). */
export const SAFETENSORS_METADATA_KEY = 'wgsparse.layers';
