import type { JsonValue } from '@bufbuild/protobuf';
import { type PipelineScope, pipelineResolver, renderTemplate } from '@flywheel/pipelines';

/** A condition that does not parse or compares what cannot be compared. */
export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

type Token =
  | { kind: 'value'; value: JsonValue }
  | { kind: 'ref'; text: string }
  | { kind: 'op'; op: string }
  | { kind: 'paren'; open: boolean };

const tokenPattern =
  /\s*(?:(\$\{[^}]*\})|(==|!=|<=|>=|<|>|&&|\|\||!)|(\(|\))|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(true|false|null)\b)/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  tokenPattern.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    tokenPattern.lastIndex = at;
    const match = tokenPattern.exec(text);
    if (!match) throw new ConditionError(`unexpected input at position ${at}: "${text.slice(at, at + 20)}"`);
    at = tokenPattern.lastIndex;
    const [, ref, op, paren, quoted, number, keyword] = match;
    if (ref) tokens.push({ kind: 'ref', text: ref });
    else if (op) tokens.push({ kind: 'op', op });
    else if (paren) tokens.push({ kind: 'paren', open: paren === '(' });
    else if (quoted) tokens.push({ kind: 'value', value: unquote(quoted) });
    else if (number) tokens.push({ kind: 'value', value: Number(number) });
    else if (keyword) tokens.push({ kind: 'value', value: keyword === 'null' ? null : keyword === 'true' });
  }
  return tokens;
}

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, '$1');
}

/**
 * Evaluates a step condition: `${...}` references (resolved as templates, keeping their JSON type),
 * string/number/boolean/null literals, `== != < <= > >=`, `&& || !` and parentheses, e.g.
 * `${steps.evaluate.outputs.passed} == true && ${params.force} != true`. A bare value counts as
 * true unless it is false, null, 0 or "". Empty means true. Throws {@link ConditionError} or a
 * TemplateError (a reference that does not resolve).
 */
export function evaluateCondition(condition: string, scope: PipelineScope): boolean {
  const resolve = pipelineResolver(scope);
  if (condition.trim() === '') return true;
  const tokens = tokenize(condition);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (op: string): boolean => {
    const token = peek();
    return token?.kind === 'op' && token.op === op;
  };

  const primary = (): JsonValue => {
    const token = tokens[position++];
    if (!token) throw new ConditionError('unexpected end of condition');
    if (token.kind === 'value') return token.value;
    if (token.kind === 'ref') return renderTemplate(token.text, resolve);
    if (token.kind === 'paren' && token.open) {
      const value = or();
      const close = tokens[position++];
      if (close?.kind !== 'paren' || close.open) throw new ConditionError('missing ")"');
      return value;
    }
    throw new ConditionError(`unexpected ${token.kind === 'op' ? token.op : ')'}`);
  };
  const comparison = (): JsonValue => {
    const left = primary();
    const token = peek();
    if (token?.kind !== 'op' || !['==', '!=', '<', '<=', '>', '>='].includes(token.op)) return left;
    position++;
    return compare(left, token.op, primary());
  };
  const not = (): JsonValue => {
    if (isOp('!')) {
      position++;
      return !truthy(not());
    }
    return comparison();
  };
  const and = (): JsonValue => {
    let value = not();
    while (isOp('&&')) {
      position++;
      const right = not();
      value = truthy(value) && truthy(right);
    }
    return value;
  };
  const or = (): JsonValue => {
    let value = and();
    while (isOp('||')) {
      position++;
      const right = and();
      value = truthy(value) || truthy(right);
    }
    return value;
  };

  const result = or();
  if (position < tokens.length) throw new ConditionError('unexpected input after the expression');
  return truthy(result);
}

function truthy(value: JsonValue): boolean {
  return !(value === false || value === null || value === 0 || value === '');
}

function compare(left: JsonValue, op: string, right: JsonValue): boolean {
  if (op === '==') return JSON.stringify(left) === JSON.stringify(right);
  if (op === '!=') return JSON.stringify(left) !== JSON.stringify(right);
  const comparable =
    (typeof left === 'number' && typeof right === 'number') ||
    (typeof left === 'string' && typeof right === 'string');
  if (!comparable)
    throw new ConditionError(`cannot order ${JSON.stringify(left)} and ${JSON.stringify(right)}`);
  const l = left as number | string;
  const r = right as number | string;
  if (op === '<') return l < r;
  if (op === '<=') return l <= r;
  if (op === '>') return l > r;
  return l >= r;
}
