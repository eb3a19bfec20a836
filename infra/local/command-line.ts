import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * The options of a command (`npm start`, `npm run lifecycle`, the scripts), with `--help`
 * (`-h`): their values, or the exit code once the usage is printed: 2 for options it
 * cannot read (on stderr, after what was wrong), 0 when help was asked for. `args`: the
 * command's arguments (by default, the process's).
 */
export function commandLine<const O extends Options>(usage: string, options: O, args?: string[]) {
  let values;
  try {
    ({ values } = parseArgs({ options: { ...options, ...HELP }, ...(args ? { args } : {}) }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return values;
}
