import { runReplay } from './replay-command';

const code = await runReplay(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
process.exitCode = code;
