// Runs binaryen's size optimisation (as `wasm-opt -Oz`, without names or other custom
// sections) over every WASM file given, in one process: the split bundle has hundreds of
// small chunk files, and starting `wasm-opt` (node and binaryen's own WASM) cost ~0.4 s each.
import { readFileSync, writeFileSync } from 'node:fs';
import binaryen from 'binaryen';

binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
binaryen.setDebugInfo(false);
const features = binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt
  | binaryen.Features.SignExt | binaryen.Features.MutableGlobals
  | binaryen.Features.ReferenceTypes | binaryen.Features.Multivalue;

for (const file of process.argv.slice(2)) {
  const module = binaryen.readBinary(readFileSync(file));
  module.setFeatures(features);
  if (!module.validate()) throw new Error(`${file} is not valid WebAssembly`);
  module.optimize();
  writeFileSync(file, module.emitBinary());
  module.dispose();
}
