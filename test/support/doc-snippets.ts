import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/local/paths.js';

/**
 * The code blocks of the README and of docs/*.md, as the snippet tests read them. A shell
 * block (```sh or ```bash) is run against `npm start` unless the line before it is the
 * marker `<!-- needs: aws -->`; the README's set-up block (its first: `npm ci && npm start`,
 * `npm ci && npm test`) is what the suite itself does. Nothing else is a way out: a block
 * that looks like shell under another name is an error, not a block left alone.
 */
export const NEEDS_AWS = '<!-- needs: aws -->';
const SHELL = new Set(['sh', 'bash']);
/** Names under which shell would escape the runner. */
const SHELL_ALIASES = new Set(['shell', 'zsh', 'console', 'shell-session', 'terminal']);

export interface Block {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The marker on the line before the fence, if any. */
  marker: string | undefined;
}

/** Every fenced block of a Markdown text, indented ones (in list items) included. */
export function blocksOf(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '```', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]!); j++)
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!);
    let previous = i - 1;
    while (previous >= 0 && lines[previous]!.trim() === '') previous--;
    const before = previous >= 0 ? lines[previous]!.trim() : '';
    blocks.push({
      file,
      line: i + 1,
      lang,
      code: `${body.join('\n')}\n`,
      marker: /^<!--.*-->$/.test(before) ? before : undefined,
    });
    i = j;
  }
  return blocks;
}

/** README.md first, then docs/*.md by name. */
export function docBlocks(root = PROJECT_ROOT): Block[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs].flatMap((file) => blocksOf(file, readFileSync(join(root, file), 'utf8')));
}

export type Verdict = 'run' | 'needs aws' | 'set-up' | 'not shell' | { problem: string };

/** What the suite does with a block; a problem is a test failure. */
export function verdict(block: Block, setUp: Block | undefined): Verdict {
  const shell = SHELL.has(block.lang);
  const looksLikeShell =
    SHELL_ALIASES.has(block.lang) || (block.lang === '' && /^\s*\$ /.test(block.code.split('\n')[0]!));
  if (looksLikeShell)
    return { problem: 'shell under another name: make it ```sh (run, or marked as needing AWS) or ```text' };
  if (block.marker === NEEDS_AWS)
    return shell ? 'needs aws' : { problem: `${NEEDS_AWS} before a block that is not shell` };
  if (block.marker !== undefined) return { problem: `an unknown marker before a block: ${block.marker}` };
  if (!shell) return 'not shell';
  return block === setUp ? 'set-up' : 'run';
}

/** The README's set-up lines: the only shell block neither run nor marked, and only as these two commands. */
export function setUpBlock(blocks: Block[]): Block | undefined {
  const first = blocks.find((block) => block.file === 'README.md');
  const commands = first?.code
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  const expected = ['npm ci && npm start', 'npm ci && npm test'];
  return first && SHELL.has(first.lang) && JSON.stringify(commands) === JSON.stringify(expected) ? first : undefined;
}

/** The shell blocks the suite runs against `npm start`, by file, in order. */
export function runnableBlocks(blocks: Block[]): Block[] {
  const setUp = setUpBlock(blocks);
  return blocks.filter((block) => verdict(block, setUp) === 'run');
}
