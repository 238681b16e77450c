// Entry of the self-contained training bundle (bench/vite.bundle.config.ts),
// the `npm run train` CLI for machines that get no node_modules.
import { main } from './train-cli.js';

const code = await main(process.argv.slice(2));
// Dawn keeps the process alive while its instance exists.
process.exit(code);
