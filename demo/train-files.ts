// Model files on the training page: which format a file is in, and the name
// a download gets. wgsparse's own format is read by the main library; ONNX and
// safetensors by wgsparse/interop, which the worker imports only when a file
// needs it (the page's first load carries no protobuf code).

/** The three formats the page saves and loads. */
export type ModelFileFormat = 'wgsparse' | 'onnx' | 'safetensors';
/** The formats other engines read, written through wgsparse/interop. */
export type ExportFormat = Exclude<ModelFileFormat, 'wgsparse'>;

export const EXTENSIONS: Record<ModelFileFormat, string> = { wgsparse: '.wgsparse', onnx: '.onnx', safetensors: '.safetensors' };
export const FORMAT_LABELS: Record<ModelFileFormat, string> = { wgsparse: 'wgsparse', onnx: 'ONNX', safetensors: 'safetensors' };

/** "WGSPMDL\0", the first 8 bytes of a wgsparse model file (docs/model-format.md). */
const WGSPARSE_MAGIC = [0x57, 0x47, 0x53, 0x50, 0x4d, 0x44, 0x4c, 0x00] as const;

function extensionOf(fileName: string): ModelFileFormat | undefined {
  const name = fileName.toLowerCase();
  return (Object.keys(EXTENSIONS) as ModelFileFormat[]).find((f) => name.endsWith(EXTENSIONS[f]));
}

/**
 * The format to read a file as: by its content where that is unambiguous
 * (wgsparse's magic; safetensors' u64 header length followed by a JSON
 * object), then by its extension, then ONNX if it starts as a ModelProto does
 * (field 1, ir_version, a varint: byte 0x08). Anything else goes to the
 * wgsparse reader, whose ModelFormatError says what is wrong (e.g. the magic).
 */
export function detectFormat(bytes: Uint8Array, fileName: string): ModelFileFormat {
  if (bytes.length >= WGSPARSE_MAGIC.length && WGSPARSE_MAGIC.every((b, i) => bytes[i] === b)) return 'wgsparse';
  // The header length's upper 3 bytes are 0 for any header under 16 MiB, and the JSON header opens with '{'.
  if (bytes.length >= 9 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0 && bytes[8] === 0x7b) return 'safetensors';
  const byName = extensionOf(fileName);
  if (byName) return byName;
  if (bytes[0] === 0x08) return 'onnx';
  return 'wgsparse';
}

/** e.g. "wgsparse-set-csr-64-64.onnx": the variant and hidden widths, then the format's extension. */
export function modelFileName(variant: string | null | undefined, sizes: readonly number[] | undefined, format: ModelFileFormat): string {
  const v = (variant ?? 'model').replace(':', '-');
  const hidden = (sizes ?? []).slice(1, -1).join('-');
  return `wgsparse-${v}${hidden ? `-${hidden}` : ''}${EXTENSIONS[format]}`;
}

/** Error classes (their names, as the worker reports them) that mean the file itself is unusable. */
export const FILE_ERRORS: ReadonlySet<string> = new Set(['ModelFormatError', 'InteropFormatError', 'UnsupportedOperatorError']);
