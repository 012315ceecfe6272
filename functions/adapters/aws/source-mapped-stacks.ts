import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload, type SourceMapping } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Formatter = (error: Error, callSites: NodeJS.CallSite[]) => unknown;

/**
 * Stack traces that name our sources, as Node's `--enable-source-maps` writes them, without its
 * cost: with the flag, Node reads and parses the bundle's whole map, and scans the whole bundle
 * (twice on Node 20), when it loads the bundle: 7 to 10 ms of every cold start (README, "What a
 * function's bundle holds"). Here the map is read when the first stack that passes through the
 * bundle is formatted, which a cold start that throws nothing never does. Each frame is written
 * as Node's own formatter writes it (`lib/internal/source_map/prepare_stack_trace.js` in Node 20
 * and 22), with Node's `SourceMap`; a stack with no frame in the bundle goes to the formatter that was
 * there before. With the flag set (an operator's `NODE_OPTIONS`), Node's formatter stays, and so
 * it does where the module runs from its TypeScript source, which has no map beside it.
 */
export function mapStacksThroughSourceMap(bundleUrl: string): void {
  if (process.sourceMapsEnabled) return;
  const mapFile = mapFileOf(bundleUrl);
  if (!mapFile || !existsSync(mapFile)) return;
  const previous = Object.getOwnPropertyDescriptor(Error, 'prepareStackTrace')?.value as Formatter | undefined;
  const header = headerFormatter();
  let sourceMap: SourceMap | null | undefined;
  let reading = false;
  const bundleMap = (): SourceMap | null => {
    // A stack formatted while the map is being read (by whatever wraps fs) goes to `previous`.
    if (sourceMap !== undefined || reading) return sourceMap ?? null;
    reading = true;
    try {
      sourceMap = readSourceMap(mapFile);
    } catch (error) {
      // A map that is missing or malformed stays so; a read that ran out of stack (a first stack
      // formatted deep in a recursion) or of file descriptors is tried again on the next stack.
      sourceMap = isTransient(error) ? undefined : null;
    } finally {
      reading = false;
    }
    return sourceMap ?? null;
  };
  Error.prepareStackTrace = (error, callSites) => {
    const map = callSites.some((site) => site.getFileName() === bundleUrl) ? bundleMap() : null;
    if (!map) return previous ? previous(error, callSites) : `${header(error)}${callSites.map(asLine).join('')}`;
    const frames = callSites.map((site, index) => {
      try {
        if (site.getFileName() === bundleUrl) return `\n    at ${frameThrough(map, site, callSites[index + 1])}`;
      } catch {
        // As in Node: a frame the map cannot place keeps its place in the bundle.
      }
      return asLine(site);
    });
    return `${header(error)}${frames.join('')}`;
  };
}

const isTransient = (error: unknown): boolean =>
  error instanceof RangeError ||
  ['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN'].includes(String((error as { code?: unknown }).code));

function mapFileOf(bundleUrl: string): string | undefined {
  try {
    return `${fileURLToPath(bundleUrl)}.map`;
  } catch {
    return undefined;
  }
}

/** A frame as V8 writes it, which its type does not declare. */
const written = (site: NodeJS.CallSite): string => (site as NodeJS.CallSite & { toString(): string }).toString();
const asLine = (site: NodeJS.CallSite): string => `\n    at ${written(site)}`;

/** The map with its sources made absolute, as Node's source map cache keeps it. */
function readSourceMap(file: string): SourceMap {
  const payload = JSON.parse(readFileSync(file, 'utf8')) as Omit<SourceMapPayload, 'sourceRoot'> & {
    sourceRoot?: string | null;
  };
  const base = pathToFileURL(file);
  const sources = payload.sources.map((relative) => {
    const source = `${payload.sourceRoot || ''}${relative}`;
    return isAbsolute(source) ? pathToFileURL(source).href : new URL(source, base).href;
  });
  return new SourceMap({ ...payload, sourceRoot: '', sources });
}

/**
 * Node's header: `name [code]: message` for its own errors, which carry a symbol it keeps private,
 * and `Error.prototype.toString` as it was at install otherwise. The symbol is taken from one of
 * Node's errors when the formatter is installed, on the shallow stack of the bundle's import.
 */
function headerFormatter(): (error: Error) => string {
  const errorToString = Object.getOwnPropertyDescriptor(Error.prototype, 'toString')?.value as (this: Error) => string;
  const isNodeError = nodeErrorSymbol();
  return (error) => {
    if (!isNodeError || !(isNodeError in error)) return errorToString.call(error);
    // One template literal, as in Node: the same getters in the same order, and a code that is a
    // symbol throws here as it does there.
    return `${error.name} [${(error as Error & { code: string }).code}]: ${error.message}`;
  };
}

/** The private symbol Node marks its own errors with, or undefined if no Node error carries one. */
export function nodeErrorSymbol(): symbol | undefined {
  try {
    Buffer.alloc(-1);
  } catch (error) {
    // Node sets it on a prototype its errors share, a few links up their chain.
    for (let link = error as object | null; link; link = Object.getPrototypeOf(link) as object | null) {
      const symbol = Object.getOwnPropertySymbols(link).find((candidate) => candidate.description === 'kIsNodeError');
      if (symbol) return symbol;
    }
  }
  return undefined;
}

const [NODE_MAJOR = 0, NODE_MINOR = 0] = process.versions.node.split('.').map(Number);
/** nodejs/node#58976 (Node 22.19 and 24.6): a name the map restores keeps the call's type prefix. */
const TYPE_PREFIX_ON_MAPPED_NAMES =
  NODE_MAJOR > 24 || (NODE_MAJOR === 24 && NODE_MINOR >= 6) || (NODE_MAJOR === 22 && NODE_MINOR >= 19);

type Mapping = SourceMapping & { name?: string };
const entryOf = (map: SourceMap, line: number | null, column: number | null): Partial<Mapping> =>
  line === null || column === null ? {} : map.findEntry(line - 1, column - 1);

function frameThrough(map: SourceMap, site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string {
  const { originalSource, originalLine, originalColumn } = entryOf(map, site.getLineNumber(), site.getColumnNumber());
  if (originalSource === undefined || originalLine === undefined || originalColumn === undefined) return written(site);
  const name = originalSymbolName(map, site, caller);
  const source = originalSource.startsWith('file://') ? fileURLToPath(originalSource) : originalSource;
  const prefix = site.isAsync() ? 'async ' : site.isConstructor() ? 'new ' : '';
  const typeName = site.getTypeName();
  const namePrefix = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const callName = (site.getFunctionName() ?? site.getMethodName()) || '<anonymous>';
  const location = `${source}:${originalLine + 1}:${originalColumn + 1}`;
  return `${prefix}${shownName(namePrefix, callName, name)} (${location})`;
}

/**
 * Node 22.19 and later keep the type's prefix on a name the map restores (`Object.tableName`);
 * earlier ones show the restored name alone (`tableName`), or the call's own when the two agree.
 */
const shownName = (namePrefix: string, callName: string, mapped: string | undefined): string => {
  if (TYPE_PREFIX_ON_MAPPED_NAMES) return `${namePrefix}${mapped || callName}`;
  const called = `${namePrefix}${callName}`;
  return mapped && mapped !== called ? mapped : called;
};

/** The name a minifier took away: the enclosing function's in the map, else the one its caller calls. */
function originalSymbolName(map: SourceMap, site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined) {
  const enclosing = entryOf(map, site.getEnclosingLineNumber(), site.getEnclosingColumnNumber());
  if (enclosing.name) return enclosing.name;
  if (!caller || caller.getFileName() !== site.getFileName()) return undefined;
  return entryOf(map, caller.getLineNumber(), caller.getColumnNumber()).name;
}
