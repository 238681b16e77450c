// Entry of the self-contained benchmark bundle (bench/vite.bundle.config.ts):
// one ESM file that runs with plain `node`, for machines that get no
// node_modules (a lent GPU machine gets this file plus the `webgpu` package).
import { main } from './cli.js';

const code = await main(process.argv.slice(2));
// Dawn keeps the process alive while its instance exists.
process.exit(code);
