import {
  type CelFunc,
  CelScalar,
  type CelValue,
  celEnv,
  celFunc,
  celMethod,
  isCelError,
  parse,
  plan,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { AppError } from '@flywheel/core';

/** The types an expression works with (CEL's): DOUBLE/FLOAT → double, INT32/INT64 → int. */
export type ExprType = 'double' | 'int' | 'string' | 'bool';

/** What an expression reads: a feature view's feature, or a request field. */
export type ExprInput =
  | { readonly kind: 'feature'; readonly view: string; readonly feature: string }
  | { readonly kind: 'request'; readonly name: string };

/** Types of the names an expression may read; undefined = not declared (refused naming it). */
export interface ExprScope {
  feature(view: string, feature: string): ExprType | undefined | string;
  request(name: string): ExprType | undefined;
}

/** A value an expression reads or yields: number (double), bigint (int), string, boolean. */
export type ExprValue = number | bigint | string | boolean;

/** A parsed, type-checked expression, ready to run on any number of rows. */
export interface CompiledExpression {
  readonly type: ExprType;
  /** Distinct inputs, in order of first use; `evaluate` takes their values in this order. */
  readonly inputs: readonly ExprInput[];
  /**
   * The value for these inputs; null when an input is null or CEL fails (e.g. int / 0). An int
   * input may come as a number or a decimal string (how INT64 is stored), a double as a number.
   */
  evaluate(values: readonly (ExprValue | null)[]): ExprValue | null;
}

const celTypes = {
  double: CelScalar.DOUBLE,
  int: CelScalar.INT,
  string: CelScalar.STRING,
  bool: CelScalar.BOOL,
};
const { DOUBLE, INT, STRING } = CelScalar;

/** Functions beyond CEL's standard ones (conversions, `size`, string methods, `matches`). */
const mathFuncs: CelFunc[] = [
  celFunc('abs', [DOUBLE], DOUBLE, (x) => Math.abs(x)),
  celFunc('abs', [INT], INT, (x) => (x < 0n ? -x : x)),
  celFunc('sqrt', [DOUBLE], DOUBLE, (x) => Math.sqrt(x)),
  celFunc('log', [DOUBLE], DOUBLE, (x) => Math.log(x)),
  celFunc('exp', [DOUBLE], DOUBLE, (x) => Math.exp(x)),
  celFunc('pow', [DOUBLE, DOUBLE], DOUBLE, (x, y) => x ** y),
  celFunc('floor', [DOUBLE], DOUBLE, (x) => Math.floor(x)),
  celFunc('ceil', [DOUBLE], DOUBLE, (x) => Math.ceil(x)),
  celFunc('round', [DOUBLE], DOUBLE, (x) => Math.round(x)),
  celFunc('min', [DOUBLE, DOUBLE], DOUBLE, (x, y) => Math.min(x, y)),
  celFunc('min', [INT, INT], INT, (x, y) => smaller(x, y)),
  celFunc('max', [DOUBLE, DOUBLE], DOUBLE, (x, y) => Math.max(x, y)),
  celFunc('max', [INT, INT], INT, (x, y) => (smaller(y, x) === x ? y : x)),
  celMethod('trim', STRING, [], STRING, function () {
    return this.trim();
  }),
];

type Sig = readonly [args: readonly ExprType[], result: ExprType];
const num = (t: ExprType): Sig[] => [[[t], t]];
/** Global functions and their overloads, as the checker allows them. */
const functions: Readonly<Record<string, readonly Sig[]>> = {
  abs: [...num('double'), ...num('int')],
  sqrt: num('double'),
  log: num('double'),
  exp: num('double'),
  floor: num('double'),
  ceil: num('double'),
  round: num('double'),
  pow: [[['double', 'double'], 'double']],
  min: [
    [['double', 'double'], 'double'],
    [['int', 'int'], 'int'],
  ],
  max: [
    [['double', 'double'], 'double'],
    [['int', 'int'], 'int'],
  ],
  double: [
    [['int'], 'double'],
    [['double'], 'double'],
    [['string'], 'double'],
  ],
  int: [
    [['double'], 'int'],
    [['int'], 'int'],
    [['string'], 'int'],
  ],
  string: [
    [['int'], 'string'],
    [['double'], 'string'],
    [['bool'], 'string'],
    [['string'], 'string'],
  ],
  size: [[['string'], 'int']],
};
/** String methods `s.name(args)`. */
const methods: Readonly<Record<string, readonly Sig[]>> = {
  startsWith: [[['string'], 'bool']],
  endsWith: [[['string'], 'bool']],
  contains: [[['string'], 'bool']],
  matches: [[['string'], 'bool']],
  lowerAscii: [[[], 'string']],
  upperAscii: [[[], 'string']],
  trim: [[[], 'string']],
  size: [[[], 'int']],
};
const arithmetic = new Set(['_+_', '_-_', '_*_', '_/_', '_%_']);
const ordering = new Set(['_<_', '_<=_', '_>_', '_>=_']);
const symbol: Readonly<Record<string, string>> = {
  '_+_': '+',
  '_-_': '-',
  '_*_': '*',
  '_/_': '/',
  '_%_': '%',
  '_<_': '<',
  '_<=_': '<=',
  '_>_': '>',
  '_>=_': '>=',
  '_==_': '==',
  '_!=_': '!=',
  '_&&_': '&&',
  '_||_': '||',
  '@in': 'in',
};

/** The part of CEL's AST (cel.expr.Expr) the checker reads. */
interface Node {
  id: bigint;
  exprKind:
    | { case: 'constExpr'; value: { constantKind: { case: string | undefined; value?: unknown } } }
    | { case: 'identExpr'; value: { name: string } }
    | { case: 'selectExpr'; value: { operand?: Node; field: string; testOnly: boolean } }
    | { case: 'callExpr'; value: { target?: Node; function: string; args: Node[] } }
    | { case: 'listExpr'; value: { elements: Node[] } }
    | { case: string | undefined; value?: unknown };
}

/**
 * Parses `source` as CEL and type-checks it against `scope`, allowing only a small declared
 * subset: int/double/string/bool literals, `<view>.<feature>` and `request.<name>`, arithmetic
 * (`+` also joins strings), comparisons, `&&` `||` `!`, `c ? a : b`, `x in [literals]`, the math
 * functions (abs sqrt log exp pow floor ceil round min max), conversions (double int string),
 * `size` and the string methods (startsWith endsWith contains matches lowerAscii upperAscii trim).
 * No implicit int↔double mixing: CEL refuses it at run time, so it is refused here.
 *
 * @throws AppError invalid_argument naming `field` and the column (1-based) where the problem
 *   starts: `….expression: at column 12: int * double: write 2.0 or double(x)`.
 */
export function compileExpression(source: string, scope: ExprScope, field: string): CompiledExpression {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (error) {
    const message = (error as Error).message.replace(/^<input>:(\d+):(\d+): /, 'at line $1, column $2: ');
    throw AppError.invalidArgument(field, `does not parse: ${message}`);
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const refuse = (node: Node, problem: string): never => {
    // A selection is placed at its dot by CEL; the user thinks of where the name starts.
    const at =
      node.exprKind.case === 'selectExpr'
        ? ((node.exprKind.value as { operand?: Node }).operand ?? node)
        : node;
    const offset = positions[String(at.id) as unknown as number] ?? 0;
    throw AppError.invalidArgument(field, `at column ${Number(offset) + 1}: ${problem}`);
  };
  const inputs: ExprInput[] = [];
  const inputTypes: ExprType[] = [];
  const inputIndex = new Map<string, number>();
  const bind = (node: Node, input: ExprInput, type: ExprType): ExprType => {
    const key = input.kind === 'feature' ? `f:${input.view}.${input.feature}` : `r:${input.name}`;
    let index = inputIndex.get(key);
    if (index === undefined) {
      index = inputs.length;
      inputIndex.set(key, index);
      inputs.push(input);
      inputTypes.push(type);
    }
    // Replaced by a plain variable, so CEL evaluates `v3` where the user wrote `view.feature`.
    node.exprKind = {
      case: 'identExpr',
      value: { $typeName: 'cel.expr.Expr.Ident', name: `v${index}` },
    } as never;
    return type;
  };

  const check = (node: Node): ExprType => {
    const kind = node.exprKind;
    switch (kind.case) {
      case 'constExpr': {
        const constant = (kind.value as { constantKind: { case: string | undefined } }).constantKind.case;
        if (constant === 'int64Value') return 'int';
        if (constant === 'doubleValue') return 'double';
        if (constant === 'stringValue') return 'string';
        if (constant === 'boolValue') return 'bool';
        return refuse(
          node,
          `${constant === 'uint64Value' ? 'unsigned' : (constant ?? 'this')} literals are not supported`,
        );
      }
      case 'identExpr': {
        const name = (kind.value as { name: string }).name;
        return refuse(
          node,
          name === 'request'
            ? 'write request.<name> for a request field'
            : `"${name}" is not an input: write <feature_view>.<feature> or request.<name>`,
        );
      }
      case 'selectExpr': {
        const {
          operand,
          field: member,
          testOnly,
        } = kind.value as { operand?: Node; field: string; testOnly: boolean };
        if (testOnly || operand?.exprKind.case !== 'identExpr') {
          return refuse(node, 'only <feature_view>.<feature> and request.<name> may be selected');
        }
        const owner = (operand.exprKind.value as { name: string }).name;
        if (owner === 'request') {
          const type = scope.request(member);
          if (type === undefined) return refuse(node, `request.${member} is not in the request_schema`);
          return bind(node, { kind: 'request', name: member }, type);
        }
        const type = scope.feature(owner, member);
        if (type === undefined) return refuse(node, `${owner}.${member} is not a feature of a feature view`);
        if (!(type in celTypes)) return refuse(node, `${owner}.${member}: ${type}`);
        return bind(node, { kind: 'feature', view: owner, feature: member }, type as ExprType);
      }
      case 'callExpr': {
        const call = kind.value as { target?: Node; function: string; args: Node[] };
        return checkCall(node, call);
      }
      default:
        return refuse(
          node,
          `${kind.case === 'listExpr' ? 'lists' : kind.case === 'structExpr' ? 'maps and messages' : 'this'} may not be used here`,
        );
    }
  };

  const checkCall = (node: Node, call: { target?: Node; function: string; args: Node[] }): ExprType => {
    const name = call.function;
    const op = symbol[name] ?? name;
    if (call.target) {
      const target = check(call.target);
      const sigs = methods[name];
      if (!sigs || target !== 'string') return refuse(node, `${target} has no method ${name}()`);
      return overload(node, `${name}()`, sigs, call.args.map(check));
    }
    if (name === '@in') {
      const [left, list] = call.args as [Node, Node];
      const type = check(left);
      if (list.exprKind.case !== 'listExpr')
        return refuse(list, 'the right side of in must be a list of literals');
      const elements = (list.exprKind.value as { elements: Node[] }).elements;
      if (elements.length === 0) return refuse(list, 'the list is empty');
      for (const element of elements) {
        if (element.exprKind.case !== 'constExpr') return refuse(element, 'list elements must be literals');
        const elementType = check(element);
        if (elementType !== type) return refuse(element, `${type} in a list holding ${elementType}`);
      }
      return 'bool';
    }
    const args = call.args.map(check);
    if (arithmetic.has(name)) {
      const [a, b] = args as [ExprType, ExprType];
      if (a === b && (a === 'int' || a === 'double') && !(name === '_%_' && a === 'double')) return a;
      if (name === '_+_' && a === 'string' && b === 'string') return 'string';
      const hint =
        (a === 'int' && b === 'double') || (a === 'double' && b === 'int') ? ': write 2.0 or double(x)' : '';
      return refuse(node, `${a} ${op} ${b} is not defined${hint}`);
    }
    if (ordering.has(name) || name === '_==_' || name === '_!=_') {
      const [a, b] = args as [ExprType, ExprType];
      if (a !== b || (ordering.has(name) && a === 'bool')) {
        const hint =
          (a === 'int' && b === 'double') || (a === 'double' && b === 'int')
            ? ': write 2.0 or double(x)'
            : '';
        return refuse(node, `${a} ${op} ${b} is not defined${hint}`);
      }
      return 'bool';
    }
    if (name === '_&&_' || name === '_||_') {
      if (args.some((t) => t !== 'bool'))
        return refuse(node, `${op} needs bool operands, got ${args.join(' and ')}`);
      return 'bool';
    }
    if (name === '!_') {
      if (args[0] !== 'bool') return refuse(node, `! needs a bool, got ${args[0]}`);
      return 'bool';
    }
    if (name === '-_') {
      if (args[0] !== 'int' && args[0] !== 'double') return refuse(node, `- needs a number, got ${args[0]}`);
      return args[0];
    }
    if (name === '_?_:_') {
      const [c, a, b] = args as [ExprType, ExprType, ExprType];
      if (c !== 'bool') return refuse(node, `the condition of ?: must be bool, got ${c}`);
      if (a !== b) return refuse(node, `both branches of ?: must have one type, got ${a} and ${b}`);
      return a;
    }
    const sigs = functions[name];
    if (!sigs) return refuse(node, `unknown function ${name}()`);
    return overload(node, `${name}()`, sigs, args);
  };

  const overload = (node: Node, name: string, sigs: readonly Sig[], args: ExprType[]): ExprType => {
    const match = sigs.find(
      ([params]) => params.length === args.length && params.every((p, i) => p === args[i]),
    );
    if (!match) return refuse(node, `${name} does not take (${args.join(', ')})`);
    return match[1];
  };

  const type = check(parsed.expr as unknown as Node);
  const env = celEnv({
    variables: Object.fromEntries(inputTypes.map((t, i) => [`v${i}`, celTypes[t]])),
    funcs: [...strings, ...mathFuncs],
  });
  const program = plan(env, parsed) as unknown as (bindings: Record<string, unknown>) => CelValue | Error;
  return {
    type,
    inputs,
    evaluate(values) {
      const bindings: Record<string, unknown> = {};
      for (const [i, value] of values.entries()) {
        if (value === null) return null;
        bindings[`v${i}`] = coerce(value, inputTypes[i]!);
        if (bindings[`v${i}`] === undefined) return null;
      }
      const result = program(bindings);
      if (isCelError(result)) return null;
      if (typeof result === 'number') return Number.isFinite(result) ? result : null;
      if (typeof result === 'bigint' || typeof result === 'string' || typeof result === 'boolean')
        return result;
      return null;
    },
  };
}

/**
 * The names `x` of every `x.<member>` in `source` other than `request`: the feature views it
 * reads, to load before {@link compileExpression}. Empty when it does not parse (compiling then
 * reports why).
 */
export function viewsReferenced(source: string): string[] {
  let root: Node;
  try {
    root = parse(source).expr as unknown as Node;
  } catch {
    return [];
  }
  const names = new Set<string>();
  const walk = (node: Node | undefined): void => {
    if (!node) return;
    const kind = node.exprKind;
    if (kind.case === 'selectExpr') {
      const operand = (kind.value as { operand?: Node }).operand;
      if (operand?.exprKind.case === 'identExpr') {
        const name = (operand.exprKind.value as { name: string }).name;
        if (name !== 'request') names.add(name);
      } else walk(operand);
    } else if (kind.case === 'callExpr') {
      const call = kind.value as { target?: Node; args: Node[] };
      walk(call.target);
      call.args.forEach(walk);
    } else if (kind.case === 'listExpr') {
      (kind.value as { elements: Node[] }).elements.forEach(walk);
    }
  };
  walk(root);
  return [...names];
}

/** A value in the JS form CEL wants for `type`; undefined when it cannot be one. */
function coerce(value: ExprValue, type: ExprType): ExprValue | undefined {
  switch (type) {
    case 'int':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
      return typeof value === 'string' && /^-?\d+$/.test(value) ? BigInt(value) : undefined;
    case 'double':
      return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
  }
}

/** The smaller of two ints (Math.min takes no bigints). */
function smaller(x: bigint, y: bigint): bigint {
  if (x < y) return x;
  return y;
}
