/**
 * rpm's boolean ("rich") dependency grammar, as rpm itself reads it:
 *   rich   := '(' expr ')'
 *   expr   := term (('and' term)+ | ('or' term)+ | ('with' term)+ | 'without' term
 *                   | ('if' | 'unless') term ['else' term])?
 *   term   := rich | name [op evr]
 * Different operators may not be mixed without parentheses (`(a and b or c)` is an error in rpm too).
 */
import type { Dependency, Relation, RichDependency } from '../../resolver/src/types.ts';

export class RichDependencySyntaxError extends Error {}

const OPERATORS = new Set(['and', 'or', 'if', 'unless', 'else', 'with', 'without']);
const RELATIONS: Record<string, Relation> = { '<': '<', '<=': '<=', '=': '=', '==': '=', '>=': '>=', '>': '>' };

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private fail(problem: string): never {
    throw new RichDependencySyntaxError(`${problem} at offset ${this.pos} in '${this.text}'`);
  }

  /** A bare word: a name (which may contain balanced parentheses, like `perl(Foo::Bar)`), operator or evr. */
  private word(): string {
    this.skipSpace();
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (/\s/.test(c)) break;
      if (c === '(') depth++;
      else if (c === ')') {
        if (depth === 0) break;
        depth--;
      }
      this.pos++;
    }
    if (depth !== 0) this.fail('unbalanced parentheses in name');
    return this.text.slice(start, this.pos);
  }

  private peekWord(): string {
    const saved = this.pos;
    const w = this.word();
    this.pos = saved;
    return w;
  }

  parseRich(): RichDependency | Dependency {
    this.skipSpace();
    if (this.text[this.pos] !== '(') this.fail("expected '('");
    this.pos++;
    const first = this.term();
    this.skipSpace();
    let result: Dependency = first;
    if (this.text[this.pos] !== ')') {
      const op = this.word();
      if (!OPERATORS.has(op) || op === 'else') this.fail(`expected an operator, found '${op}'`);
      const args: Dependency[] = [first, this.term()];
      let otherwise: Dependency | undefined;
      if (op === 'and' || op === 'or' || op === 'with') {
        for (this.skipSpace(); this.text[this.pos] !== ')'; this.skipSpace()) {
          const next = this.word();
          if (next !== op) this.fail(`cannot mix '${op}' and '${next}' without parentheses`);
          args.push(this.term());
        }
      } else if ((op === 'if' || op === 'unless') && this.peekWord() === 'else') {
        this.word();
        otherwise = this.term();
      }
      result = { op: op as RichDependency['op'], args, ...(otherwise ? { otherwise } : {}) };
    }
    this.skipSpace();
    if (this.text[this.pos] !== ')') this.fail("expected ')'");
    this.pos++;
    return result;
  }

  private term(): Dependency {
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('unexpected end');
    if (this.text[this.pos] === '(') return this.parseRich();
    const name = this.word();
    if (name === '' || OPERATORS.has(name)) this.fail(`expected a package name, found '${name}'`);
    const maybeOp = this.peekWord();
    const relation = RELATIONS[maybeOp];
    if (!relation) return { name };
    this.word();
    const evr = this.word();
    if (evr === '') this.fail(`missing version after '${maybeOp}'`);
    return { name, relation, evr };
  }

  parseAll(): Dependency {
    const dep = this.parseRich();
    this.skipSpace();
    if (this.pos !== this.text.length) this.fail('trailing text after the closing parenthesis');
    return dep;
  }
}

/** Parses `(a >= 1 with a < 2)` etc.; throws RichDependencySyntaxError naming the offset and text. */
export function parseRichDependency(text: string): Dependency {
  return new Parser(text).parseAll();
}

/** Every plain dependency name inside a dependency (for finding `/path` requirements in rich deps). */
export function dependencyNames(dep: Dependency, into: string[] = []): string[] {
  if ('op' in dep) {
    for (const arg of dep.args) dependencyNames(arg, into);
    if (dep.otherwise) dependencyNames(dep.otherwise, into);
  } else {
    into.push(dep.name);
  }
  return into;
}
