// Entry of the kernel-profile comparison in the self-contained bundle
// (bench/vite.bundle.config.ts), for a lent GPU: bash bench/gpu/run.sh profiles.
import { main } from './profiles-cli.js';

const code = await main(process.argv.slice(2));
// Dawn keeps the process alive while its instance exists.
process.exit(code);
