import { z } from 'zod';

/**
 * Human messages for zod's built-in checks, in the style of the schemas' own ("must be …"), so
 * the server's problem documents and the web app's own checks never show zod's technical text
 * ("Too small: expected string to have >=1 characters"). A message set on a schema wins over
 * these; anything not handled here keeps zod's default.
 */
export function humanIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const plural = (n: number | bigint, one: string, many: string) =>
    `${n} ${Number(n) === 1 ? one : many}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === null) return 'is required';
      switch (issue.expected) {
        case 'string':
          return 'must be text';
        case 'number':
          return 'must be a number';
        case 'int':
          return 'must be a whole number';
        case 'boolean':
          return 'must be true or false';
        case 'array':
          return 'must be a list';
        case 'object':
          return 'must be an object';
        default:
          return `must be a ${issue.expected}`;
      }
    case 'too_small': {
      const min = issue.minimum;
      const at = issue.inclusive === false ? 'more than' : 'at least';
      if (issue.origin === 'string')
        return Number(min) === 1 && issue.inclusive !== false
          ? 'is required'
          : `must be ${at} ${plural(min, 'character', 'characters')}`;
      if (issue.origin === 'array' || issue.origin === 'set')
        return Number(min) === 1 && issue.inclusive !== false
          ? 'must name at least one'
          : `must have ${at} ${plural(min, 'item', 'items')}`;
      return `must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}`;
    }
    case 'too_big': {
      const max = issue.maximum;
      const at = issue.inclusive === false ? 'fewer than' : 'at most';
      if (issue.origin === 'string')
        return `must be ${at} ${plural(max, 'character', 'characters')}`;
      if (issue.origin === 'array' || issue.origin === 'set')
        return `must have ${at} ${plural(max, 'item', 'items')}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}`;
    }
    case 'invalid_format':
      switch (issue.format) {
        case 'email':
          return 'must be an email address';
        case 'url':
          return 'must be a URL';
        case 'uuid':
        case 'guid':
          return 'must be an id';
        case 'date':
          return 'must be a date (YYYY-MM-DD)';
        case 'datetime':
          return 'must be a date and time (ISO 8601)';
        case 'regex':
          return 'is not in the expected format';
        default:
          return `must be a valid ${issue.format}`;
      }
    case 'invalid_value':
      if (issue.input === undefined) return 'is required';
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return `unknown ${issue.keys.length === 1 ? 'field' : 'fields'}: ${issue.keys.join(', ')}`;
    case 'invalid_union':
      return 'is not valid';
    default:
      return undefined;
  }
}

z.config({ customError: humanIssueMessage });
