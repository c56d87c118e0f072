// Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `:?`/`?`, `:+`/`+`, `$$`.

/** What interpolating one string found: the result, and the variables that were used while unset. */
export interface InterpolationResult {
  readonly value: string;
  /** Variables referenced without a default while unset (Compose: "defaulting to a blank string"). */
  readonly unset: readonly string[];
  /** `${VAR:?message}` / `${VAR?message}` whose variable is missing: Compose refuses the file. */
  readonly required: readonly { readonly name: string; readonly message: string }[];
  /** Malformed `${...}` expressions (unclosed brace, invalid name). */
  readonly errors: readonly string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Compose spec, Interpolation: "Both $VARIABLE and ${VARIABLE} syntax is supported. ... ${VAR:-default} evaluates
 * to default if VAR is unset or empty in the environment. ${VAR-default} evaluates to default only if VAR is unset
 * ... ${VAR:?err} exits with an error message containing err if VAR is unset or empty ... ${VAR:+replacement}
 * → replacement if VAR is set and non-empty ... You can use a $$ (double-dollar sign) when your configuration needs
 * a literal dollar sign." Defaults may themselves hold interpolations (`${A:-${B}}`).
 */
export function interpolate(
  text: string,
  environment: Readonly<Record<string, string>>,
): InterpolationResult {
  const unset: string[] = [];
  const required: { name: string; message: string }[] = [];
  const errors: string[] = [];
  const value = expand(text, environment, unset, required, errors);
  return { value, unset, required, errors };
}

function expand(
  text: string,
  env: Readonly<Record<string, string>>,
  unset: string[],
  required: { name: string; message: string }[],
  errors: string[],
): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close < 0) {
        errors.push(`unclosed "\${" in "${text}"`);
        out += text.slice(i);
        break;
      }
      out += substitute(text.slice(i + 2, close), env, unset, required, errors);
      i = close + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (name === undefined) {
      // A lone `$` (e.g. at the end) is kept, as Compose does.
      out += '$';
      i++;
      continue;
    }
    out += lookup(name, env, unset);
    i += 1 + name.length;
  }
  return out;
}

function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, env: Readonly<Record<string, string>>, unset: string[]): string {
  if (Object.hasOwn(env, name)) return env[name]!;
  if (!unset.includes(name)) unset.push(name);
  return '';
}

function substitute(
  body: string,
  env: Readonly<Record<string, string>>,
  unset: string[],
  required: { name: string; message: string }[],
  errors: string[],
): string {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) {
    errors.push(`invalid variable expression "\${${body}}"`);
    return '';
  }
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, env, unset);
  const isSet = Object.hasOwn(env, name);
  const current = isSet ? env[name]! : '';
  const colon = rest.startsWith(':');
  const operator = colon ? rest[1] : rest[0];
  const argument = rest.slice(colon ? 2 : 1);
  // With a colon the test is "unset or empty", without it "unset".
  const missing = colon ? current === '' : !isSet;
  const inner = (): string => expand(argument, env, unset, required, errors);
  switch (operator) {
    case '-':
      return missing ? inner() : current;
    case '?':
      if (missing) required.push({ name, message: inner() });
      return current;
    case '+':
      return missing ? '' : inner();
    default:
      errors.push(`invalid variable expression "\${${body}}"`);
      return '';
  }
}
